"""`podid eksctl utils migrate-to-pod-identity`: plan without --approve (nothing changes); with
--approve and --remove-oidc-provider-trust-relationship the IRSA ServiceAccount's pods get the same
role through EKS Pod Identity."""

from __future__ import annotations

import json

from .conftest import CLUSTER, Shell


def _associations(shell: Shell) -> list[dict[str, str]]:
    out = json.loads(shell.ok(f"aws eks list-pod-identity-associations --cluster-name {CLUSTER}"))
    return list(out["associations"])


def test_migrate_irsa_to_pod_identity(shell: Shell) -> None:
    policy = shell.policy("s3-read")
    assert shell.eksctl("utils", "associate-iam-oidc-provider", "--cluster", CLUSTER,
                        "--approve").returncode == 0
    created = shell.eksctl("create", "iamserviceaccount", "--cluster", CLUSTER, "--name", "my-sa",
                           "--attach-policy-arn", policy, "--approve")
    assert created.returncode == 0, created.stderr
    arn = shell.kubectl_json("get", "sa", "my-sa")["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    role_name = arn.rsplit("/", 1)[1]
    irsa = shell.pod_arn("irsa-pod", "my-sa")
    assert irsa.startswith(f"arn:aws:sts::{shell.srv.account_id}:assumed-role/{role_name}/botocore-session-")
    trust_before = shell.ok(f"aws iam get-role --role-name {role_name} --query Role.AssumeRolePolicyDocument")

    plan = shell.eksctl("utils", "migrate-to-pod-identity", "--cluster", CLUSTER,
                        "--remove-oidc-provider-trust-relationship")
    assert plan.returncode == 0, plan.stderr
    assert "(plan) will migrate 1 iamserviceaccount(s)" in plan.stderr
    assert f'update trust policy for owned role "{role_name}"' in plan.stderr
    assert _associations(shell) == []
    assert shell.ok(f"aws iam get-role --role-name {role_name} "
                    "--query Role.AssumeRolePolicyDocument") == trust_before
    assert "eks.amazonaws.com/role-arn" in shell.kubectl_json("get", "sa", "my-sa")["metadata"]["annotations"]

    done = shell.eksctl("utils", "migrate-to-pod-identity", "--cluster", CLUSTER,
                        "--remove-oidc-provider-trust-relationship", "--approve")
    assert done.returncode == 0, done.stderr
    assert "all tasks were completed successfully" in done.stderr
    assert [(a["namespace"], a["serviceAccount"]) for a in _associations(shell)] == [("default", "my-sa")]
    trust = json.loads(shell.ok(f"aws iam get-role --role-name {role_name} "
                                "--query Role.AssumeRolePolicyDocument"))["Statement"]
    assert trust == [{"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
                      "Action": ["sts:AssumeRole", "sts:TagSession"]}]
    assert "eks.amazonaws.com/role-arn" not in (
        shell.kubectl_json("get", "sa", "my-sa")["metadata"].get("annotations") or {})
    pia = shell.pod_arn("pia-pod", "my-sa")
    assert pia.startswith(f"arn:aws:sts::{shell.srv.account_id}:assumed-role/{role_name}/")
    assert "botocore-session-" not in pia
