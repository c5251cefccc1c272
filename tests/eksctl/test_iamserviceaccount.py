"""`podid eksctl create|get|delete iamserviceaccount` and `utils associate-iam-oidc-provider`, proven
by a pod of the ServiceAccount whose `aws sts get-caller-identity` is the role."""

from __future__ import annotations

import json

from .conftest import CLUSTER, Shell


def _issuer_prefix(shell: Shell) -> str:
    issuer = shell.ok(f"aws eks describe-cluster --name {CLUSTER} --query cluster.identity.oidc.issuer "
                      "--output text").strip()
    return issuer.split("://", 1)[1]


def test_create_get_delete_iamserviceaccount(shell: Shell) -> None:
    policy = shell.policy("s3-read")
    before = shell.role_names()
    args = ("create", "iamserviceaccount", "--name", "my-sa", "--namespace", "default",
            "--cluster", CLUSTER, "--attach-policy-arn", policy)
    no_provider = shell.eksctl(*args, "--approve")
    assert no_provider.returncode == 1, no_provider.stderr
    assert "Error: unable to create iamserviceaccount(s) without IAM OIDC provider enabled" \
        in no_provider.stderr
    assert "associate-iam-oidc-provider" in no_provider.stderr
    assert shell.role_names() == before

    planned = shell.eksctl("utils", "associate-iam-oidc-provider", "--cluster", CLUSTER)
    assert planned.returncode == 0 and "(plan)" in planned.stderr, planned.stderr
    assert json.loads(shell.ok("aws iam list-open-id-connect-providers"))["OpenIDConnectProviderList"] == []
    done = shell.eksctl("utils", "associate-iam-oidc-provider", "--cluster", CLUSTER, "--approve")
    assert done.returncode == 0 and "[ℹ]  created IAM Open ID Connect provider" in done.stderr, done.stderr

    plan = shell.eksctl(*args)
    assert plan.returncode == 0, plan.stderr
    assert "(plan) 1 task:" in plan.stderr and 'create serviceaccount "default/my-sa"' in plan.stderr
    assert shell.role_names() == before
    assert shell.sh("kubectl get sa my-sa").returncode != 0

    created = shell.eksctl(*args, "--approve")
    assert created.returncode == 0, created.stderr
    assert "1 iamserviceaccount (default/my-sa) was included" in created.stderr
    sa = shell.kubectl_json("get", "sa", "my-sa")
    assert sa["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "eksctl"}
    role_arn = sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    role_name = role_arn.rsplit("/", 1)[1]
    assert role_name.startswith("eksctl-lab-addon-iamserviceaccount-default-my-Role1-")  # 45 + 19
    assert len(role_name) == 64
    trust = json.loads(shell.ok(f"aws iam get-role --role-name {role_name} "
                                "--query Role.AssumeRolePolicyDocument"))
    prefix = _issuer_prefix(shell)
    assert trust["Statement"][0]["Condition"]["StringEquals"] == {
        f"{prefix}:sub": "system:serviceaccount:default:my-sa", f"{prefix}:aud": "sts.amazonaws.com"}
    attached = shell.ok(f"aws iam list-attached-role-policies --role-name {role_name} "
                        "--query 'AttachedPolicies[].PolicyArn' --output text").split()
    assert attached == [policy]

    assert shell.pod_arn("eks-iam-test3", "my-sa").startswith(
        f"arn:aws:sts::{shell.srv.account_id}:assumed-role/{role_name}/")

    table = shell.eksctl("get", "iamserviceaccount", "--cluster", CLUSTER)
    assert table.returncode == 0, table.stderr
    header, row = table.stdout.splitlines()
    assert header.split("\t")[0] == "NAMESPACE" and "ROLE ARN" in header
    assert row.split() == ["default", "my-sa", role_arn]
    listed = json.loads(shell.eksctl("get", "iamserviceaccount", "--cluster", CLUSTER, "-o", "json").stdout)
    assert [(s["metadata"], s["status"]["roleARN"]) for s in listed] == [
        ({"name": "my-sa", "namespace": "default"}, role_arn)]
    assert shell.eksctl("get", "iamserviceaccount", "--cluster", CLUSTER, "--namespace", "other").stdout \
        == "No iamserviceaccounts found\n"

    again = shell.eksctl(*args, "--approve")
    assert again.returncode == 0 and "was excluded" in again.stderr, again.stderr
    assert len(shell.role_names()) == len(before) + 1

    deleted = shell.eksctl("delete", "iamserviceaccount", "--cluster", CLUSTER, "--name", "my-sa",
                           "--namespace", "default")
    assert deleted.returncode == 0, deleted.stderr
    assert 'deleted serviceaccount "default/my-sa"' in deleted.stderr
    assert shell.role_names() == before
    assert shell.sh("kubectl get sa my-sa").returncode != 0
    missing = shell.eksctl("delete", "iamserviceaccount", "--cluster", CLUSTER, "--name", "my-sa")
    assert missing.returncode == 1 and missing.stderr.startswith("Error: "), missing.stderr


def test_existing_serviceaccount_needs_override(shell: Shell) -> None:
    policy = shell.policy("s3-read")
    assert shell.eksctl("utils", "associate-iam-oidc-provider", "--cluster", CLUSTER,
                        "--approve").returncode == 0
    shell.ok("kubectl create sa app && kubectl label sa app team=payments")
    before = shell.role_names()
    args = ("create", "iamserviceaccount", "--cluster", CLUSTER, "--name", "app",
            "--attach-policy-arn", policy, "--role-name", "app-irsa", "--approve")
    kept = shell.eksctl(*args)
    assert kept.returncode == 0 and "use --override-existing-serviceaccounts" in kept.stderr, kept.stderr
    assert shell.role_names() == before
    assert "annotations" not in shell.kubectl_json("get", "sa", "app")["metadata"]

    over = shell.eksctl(*args, "--override-existing-serviceaccounts")
    assert over.returncode == 0, over.stderr
    meta = shell.kubectl_json("get", "sa", "app")["metadata"]
    arn = f"arn:aws:iam::{shell.srv.account_id}:role/app-irsa"
    assert meta["annotations"]["eks.amazonaws.com/role-arn"] == arn
    assert meta["labels"] == {"team": "payments", "app.kubernetes.io/managed-by": "eksctl"}
    assert ":assumed-role/app-irsa/" in shell.pod_arn("app-pod", "app")

    taken = shell.eksctl("create", "iamserviceaccount", "--cluster", CLUSTER, "--name", "other",
                         "--attach-policy-arn", policy, "--role-name", "app-irsa", "--approve")
    assert taken.returncode == 1 and "EntityAlreadyExists" in taken.stderr, taken.stderr
    assert shell.sh("kubectl get sa other").returncode != 0
