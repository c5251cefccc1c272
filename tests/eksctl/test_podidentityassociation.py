"""`podid eksctl create addon / get addon / create|get|delete podidentityassociation`, proven by a
pod of the ServiceAccount whose `aws sts get-caller-identity` is the association's role."""

from __future__ import annotations

import json

from .conftest import CLUSTER, Shell

AGENT = "eks-pod-identity-agent"


def test_podidentityassociation_lifecycle(shell: Shell) -> None:
    policy = shell.policy("s3-read")
    before = shell.role_names()
    args = ("create", "podidentityassociation", "--cluster", CLUSTER, "--namespace", "default",
            "--service-account-name", "s3-sa", "--role-name", "s3-eks-pod-identity-role",
            "--permission-policy-arns", policy)
    if shell.sh(f"aws eks describe-addon --cluster-name {CLUSTER} --addon-name {AGENT}").returncode != 0:
        no_agent = shell.eksctl(*args)
        assert no_agent.returncode == 1, no_agent.stderr
        assert "eks-pod-identity-agent addon is required" in no_agent.stderr
        assert shell.role_names() == before
        added = shell.eksctl("create", "addon", "--cluster", CLUSTER, "--name", AGENT)
        assert added.returncode == 0, added.stderr
    before = shell.role_names()  # the add-on brings the node role
    addons = json.loads(shell.eksctl("get", "addon", "--cluster", CLUSTER, "-o", "json").stdout)
    assert [a["Status"] for a in addons if a["Name"] == AGENT] == ["ACTIVE"]
    table = shell.eksctl("get", "addon", "--cluster", CLUSTER).stdout.splitlines()
    assert table[0].split("\t")[0] == "NAME" and any(line.startswith(AGENT) for line in table[1:])

    created = shell.eksctl(*args)
    assert created.returncode == 0, created.stderr
    assert 'created pod identity association for service account "s3-sa"' in created.stderr
    role = json.loads(shell.ok("aws iam get-role --role-name s3-eks-pod-identity-role --query Role"))
    trust = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [{"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
                      "Action": ["sts:AssumeRole", "sts:TagSession"]}]
    assert shell.ok("aws iam list-attached-role-policies --role-name s3-eks-pod-identity-role "
                    "--query 'AttachedPolicies[].PolicyArn' --output text").split() == [policy]

    shell.ok("kubectl create sa s3-sa")
    assert shell.pod_arn("eks-pod-identity", "s3-sa").startswith(
        f"arn:aws:sts::{shell.srv.account_id}:assumed-role/s3-eks-pod-identity-role/")

    listed = json.loads(shell.eksctl("get", "podidentityassociation", "--cluster", CLUSTER,
                                     "-o", "json").stdout)
    assert [(p["Namespace"], p["ServiceAccountName"], p["RoleARN"]) for p in listed] == [
        ("default", "s3-sa", role["Arn"])]
    assert listed[0]["AssociationARN"].startswith("arn:aws:eks:")
    rows = shell.eksctl("get", "podidentityassociation", "--cluster", CLUSTER).stdout.splitlines()
    assert rows[0].startswith("ASSOCIATION ARN") and rows[1].split()[1:4] == ["default", "s3-sa",
                                                                              role["Arn"]]

    roles = shell.role_names()
    again = shell.eksctl(*args)
    assert again.returncode == 1, again.stderr
    assert again.stderr.splitlines()[-1].startswith("Error: creating IAM role") \
        and "EntityAlreadyExists" in again.stderr, again.stderr
    assert shell.role_names() == roles
    assert len(json.loads(shell.ok(f"aws eks list-pod-identity-associations --cluster-name {CLUSTER}"))[
        "associations"]) == 1

    deleted = shell.eksctl("delete", "podidentityassociation", "--cluster", CLUSTER,
                           "--namespace", "default", "--service-account-name", "s3-sa")
    assert deleted.returncode == 0, deleted.stderr
    assert shell.role_names() == before
    assert json.loads(shell.ok(f"aws eks list-pod-identity-associations --cluster-name {CLUSTER}"))[
        "associations"] == []
    gone = shell.eksctl("delete", "podidentityassociation", "--cluster", CLUSTER,
                        "--namespace", "default", "--service-account-name", "s3-sa")
    assert gone.returncode == 1 and "not found" in gone.stderr, gone.stderr


def test_bad_input_changes_nothing(shell: Shell) -> None:
    before = shell.role_names()
    missing = shell.eksctl("create", "podidentityassociation", "--namespace", "default",
                           "--service-account-name", "x", "--role-arn", "arn:aws:iam::1:role/x")
    assert missing.returncode == 1 and missing.stderr == "Error: --cluster must be set\n", missing.stderr
    for cmd in (("create", "iamserviceaccount", "--name", "a", "--attach-policy-arn",
                 "arn:aws:iam::1:policy/p", "--approve"),
                ("delete", "iamserviceaccount", "--name", "a"), ("get", "addon"),
                ("utils", "migrate-to-pod-identity", "--approve")):
        done = shell.eksctl(*cmd)
        assert done.returncode == 1 and done.stderr == "Error: --cluster must be set\n", (cmd, done.stderr)
    gone = shell.eksctl("delete", "iamserviceaccount", "--cluster", "nope", "--name", "a")
    assert gone.returncode == 1 and 'cluster "nope" does not exist' in gone.stderr, gone.stderr
    unknown = shell.eksctl("get", "iamserviceaccount", "--cluster", "nope")
    assert unknown.returncode == 1, unknown.stderr
    assert unknown.stderr.startswith('Error: cluster "nope" does not exist in ')
    unknown_pia = shell.eksctl("create", "podidentityassociation", "--cluster", "nope", "--namespace",
                               "default", "--service-account-name", "x", "--permission-policy-arns",
                               "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    assert unknown_pia.returncode == 1 and 'cluster "nope" does not exist' in unknown_pia.stderr
    assert shell.role_names() == before
