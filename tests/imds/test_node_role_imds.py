"""`podid up --node-role`: an IMDSv2 endpoint with the node role's credentials, the blast radius the
seeds warn about (a pod without Pod Identity falls back to the node role), and its lock-down."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from support.kubectl import require_kubectl
from support.lab import BUCKET, LAB, Lab, start_lab

NODE_ROLE = "lab-node"
S3_READ_ALL = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


@pytest.fixture(scope="session", autouse=True)
def _kubectl_required() -> None:
    require_kubectl()



@pytest.fixture(scope="module")
def node_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    # the over-broad node role of the seeds' warning
    with start_lab(tmp_path_factory, "imds-lab", node_role=NODE_ROLE, node_policy_arn=S3_READ_ALL) as lab:
        lab.addon()
        lab.bucket([("blocked/secret.txt", "secret")])
        lab.service_account()
        yield lab


def _imds(lab: Lab) -> str:
    return str(json.loads((lab.srv.state_dir / "server.json").read_text())["imds_url"])


def test_imdsv2_protocol(node_lab: Lab) -> None:
    url = _imds(node_lab)
    assert url.startswith("http://127.0.0.1:")
    with httpx.Client(base_url=url, timeout=10) as http:
        assert http.get("latest/meta-data/instance-id").status_code == 401          # token required
        assert http.put("latest/api/token").status_code == 400                     # TTL header required
        assert http.put("latest/api/token", headers={"X-aws-ec2-metadata-token-ttl-seconds": "21601"}
                        ).status_code == 400
        assert http.put("latest/api/token", headers={"X-aws-ec2-metadata-token-ttl-seconds": "60",
                                                     "X-Forwarded-For": "10.0.0.1"}).status_code == 403
        token = http.put("latest/api/token", headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})
        assert token.status_code == 200 and token.headers["x-aws-ec2-metadata-token-ttl-seconds"] == "60"
        h = {"X-aws-ec2-metadata-token": token.text}
        assert http.get("latest/meta-data/instance-id", headers={"X-aws-ec2-metadata-token": "x"}
                        ).status_code == 401
        instance = http.get("latest/meta-data/instance-id", headers=h).text
        assert instance.startswith("i-") and len(instance) == 19
        assert http.get("latest/meta-data/placement/region", headers=h).text == node_lab.srv.region
        assert http.get("latest/meta-data/iam/security-credentials/", headers=h).text == NODE_ROLE
        creds = http.get(f"latest/meta-data/iam/security-credentials/{NODE_ROLE}", headers=h).json()
        assert creds["Code"] == "Success" and creds["Type"] == "AWS-HMAC"
        assert creds["AccessKeyId"].startswith("ASIA") and creds["Token"]
        assert creds["Expiration"].endswith("Z")
        doc = http.get("latest/dynamic/instance-identity/document", headers=h).json()
        assert doc["instanceId"] == instance and doc["accountId"] == node_lab.account
        assert http.get("latest/meta-data/iam/security-credentials/other", headers=h).status_code == 404
        assert http.get("latest/user-data", headers=h).status_code == 404
    # the credentials are a session of the node role named by the instance id
    sts = node_lab.srv.client("sts", credentials=(creds["AccessKeyId"], creds["SecretAccessKey"],
                                                   creds["Token"]))
    assert sts.get_caller_identity()["Arn"] == (
        f"arn:aws:sts::{node_lab.account}:assumed-role/{NODE_ROLE}/{instance}")


def test_pod_without_pod_identity_falls_back_to_the_node_role(node_lab: Lab) -> None:
    node_lab.pod("fallback", "default")
    who = node_lab.exec("fallback", "aws sts get-caller-identity --query Arn --output text")
    assert who.returncode == 0 and f":assumed-role/{NODE_ROLE}/i-" in who.stdout, who.stderr
    # the blast radius: the node role reads every prefix, so this pod does too
    leaked = node_lab.exec("fallback", f"aws s3 cp s3://{BUCKET}/blocked/secret.txt -")
    assert leaked.returncode == 0 and leaked.stdout == "secret", leaked.stderr


def test_pod_identity_wins_over_the_node_role(node_lab: Lab) -> None:
    node_lab.ok("aws iam create-policy --policy-name reader --policy-document "
                f"file://{LAB / 's3-reader-policy.json'}")
    node_lab.role("pod-reader", LAB / "pod-identity-trust.json",
                  f"arn:aws:iam::{node_lab.account}:policy/reader")
    node_lab.associate("s3-reader", "pod-reader")
    node_lab.pod("scoped", "s3-reader")
    who = node_lab.exec("scoped", "aws sts get-caller-identity --query Arn --output text")
    assert who.returncode == 0 and ":assumed-role/pod-reader/eks-lab-scoped-" in who.stdout, who.stderr
    denied = node_lab.exec("scoped", f"aws s3 cp s3://{BUCKET}/blocked/secret.txt -")
    assert denied.returncode != 0 and "403" in denied.stderr


def test_locked_down_node_role_means_access_denied(node_lab: Lab) -> None:
    node_lab.ok(f"aws iam detach-role-policy --role-name {NODE_ROLE} --policy-arn {S3_READ_ALL}")
    try:
        node_lab.pod("locked", "default")
        who = node_lab.exec("locked", "aws sts get-caller-identity --query Arn --output text")
        assert who.returncode == 0 and f":assumed-role/{NODE_ROLE}/" in who.stdout
        denied = node_lab.exec("locked", f"aws s3 ls s3://{BUCKET}/blocked/")
    finally:   # the module's node role stays over-broad for the other tests, whatever their order
        node_lab.ok(f"aws iam attach-role-policy --role-name {NODE_ROLE} --policy-arn {S3_READ_ALL}")
    assert denied.returncode == 255 and "AccessDenied" in denied.stderr, denied.stderr
