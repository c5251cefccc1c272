"""The seeds' lab (000, steps 7-9 and its checklist) end to end: kubectl, the pod runtime, the node
agent, EKS Auth, STS and the enforced data plane, with the aws CLI v1 and boto3 inside pods."""

from __future__ import annotations

import json
import re

from support.lab import BUCKET, CLUSTER, NS, Lab

POD_IDENTITY_URI = "http://169.254.170.23/v1/credentials"
TOKEN_PATH = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"


def test_agent_addon_active_and_daemonset(lab: Lab) -> None:
    lab.wait_for(f"aws eks describe-addon --cluster-name {CLUSTER} --addon-name eks-pod-identity-agent "
                 "--query addon.status --output text", "ACTIVE")
    ds = lab.kubectl_json("-n", "kube-system", "get", "daemonset", "eks-pod-identity-agent")
    assert ds["status"]["numberReady"] == 1
    assert ds["metadata"]["labels"]["app.kubernetes.io/name"] == "eks-pod-identity-agent"


def test_pod_spec_is_mutated_as_on_eks(lab: Lab) -> None:
    pod = lab.kubectl_json("-n", NS, "get", "pod", "s3-reader-test")
    env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
    assert env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] == POD_IDENTITY_URI
    assert env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] == TOKEN_PATH
    volume = next(v for v in pod["spec"]["volumes"] if v["name"] == "eks-pod-identity-token")
    source = volume["projected"]["sources"][0]["serviceAccountToken"]
    assert source["audience"] == "pods.eks.amazonaws.com" and source["path"] == "eks-pod-identity-token"
    assert pod["status"]["phase"] == "Running"
    # the default ServiceAccount's pod got nothing
    deny = lab.kubectl_json("-n", NS, "get", "pod", "s3-deny-test")
    names = {e["name"] for c in deny["spec"]["containers"] for e in c.get("env") or []}
    assert not {n for n in names if n.startswith("AWS_")}


def test_pod_is_its_own_role(lab: Lab) -> None:
    out = lab.exec("s3-reader-test", "aws sts get-caller-identity --output json")
    assert out.returncode == 0, out.stderr
    arn = json.loads(out.stdout)["Arn"]
    assert re.fullmatch(rf"arn:aws:sts::{lab.account}:assumed-role/s3-reader/eks-{CLUSTER}-s3-reader-test-"
                        r"[0-9a-f-]{36}", arn), arn


def test_allowed_prefix_lists_and_reads(lab: Lab) -> None:
    listing = lab.exec("s3-reader-test", f"aws s3 ls s3://{BUCKET}/allowed/")
    assert listing.returncode == 0, listing.stderr
    assert "report.txt" in listing.stdout and "secret.txt" not in listing.stdout
    body = lab.exec("s3-reader-test", f"aws s3 cp s3://{BUCKET}/allowed/report.txt -")
    assert body.returncode == 0 and body.stdout == "quarterly numbers", body.stderr
    api = lab.exec("s3-reader-test", f"aws s3api get-object --bucket {BUCKET} --key allowed/report.txt "
                                     "/dev/null --query ContentLength --output text")
    assert api.returncode == 0 and api.stdout.strip() == "17", api.stderr


def test_blocked_prefix_and_other_buckets_are_denied(lab: Lab) -> None:
    listing = lab.exec("s3-reader-test", f"aws s3 ls s3://{BUCKET}/blocked/")
    assert listing.returncode == 255
    session = f"arn:aws:sts::{lab.account}:assumed-role/s3-reader/eks-{CLUSTER}-s3-reader-test-"
    assert f"An error occurred (AccessDenied) when calling the ListObjectsV2 operation: User: {session}" \
        in listing.stderr
    assert ('is not authorized to perform: s3:ListBucket on resource: "arn:aws:s3:::podid-lab-bucket" '
            "because no identity-based policy allows the s3:ListBucket action") in listing.stderr
    read = lab.exec("s3-reader-test", f"aws s3api get-object --bucket {BUCKET} --key blocked/secret.txt "
                                      "/dev/null")
    assert read.returncode == 255 and "AccessDenied" in read.stderr and "s3:GetObject" in read.stderr
    whole = lab.exec("s3-reader-test", "aws s3 ls")
    assert whole.returncode == 255 and "s3:ListAllMyBuckets" in whole.stderr
    write = lab.exec("s3-reader-test", f"aws s3api put-object --bucket {BUCKET} --key allowed/new.txt")
    assert write.returncode == 255 and "s3:PutObject" in write.stderr


def test_default_service_account_has_no_aws_identity(lab: Lab) -> None:
    for command in ("aws sts get-caller-identity", f"aws s3 ls s3://{BUCKET}/allowed/"):
        out = lab.exec("s3-deny-test", command)
        assert out.returncode == 255
        assert "Unable to locate credentials" in out.stderr, out.stderr


def test_boto3_inside_a_pod(lab: Lab) -> None:
    script = (
        "import boto3, botocore.exceptions as e\n"
        "print(boto3.client('sts').get_caller_identity()['Arn'])\n"
        f"s3 = boto3.client('s3')\n"
        f"print(len(s3.list_objects_v2(Bucket='{BUCKET}', Prefix='allowed/')['Contents']))\n"
        "try:\n"
        f"    s3.list_objects_v2(Bucket='{BUCKET}', Prefix='blocked/')\n"
        "except e.ClientError as exc:\n"
        "    print(exc.response['Error']['Code'])\n"
    )
    lab.pod("boto3-test", "s3-reader", image="python:3.11-slim",
            command=("python", "-c", script), wait=False, restart="Never")
    lab.wait_for(f"kubectl -n {NS} get pod boto3-test -o jsonpath='{{.status.phase}}'", "Succeeded")
    lines = lab.ok(f"kubectl -n {NS} logs boto3-test").splitlines()
    assert lines[0].startswith(f"arn:aws:sts::{lab.account}:assumed-role/s3-reader/eks-{CLUSTER}-boto3-test-")
    assert lines[1:] == ["1", "AccessDenied"]
