"""What pod processes see of AWS: projected tokens at the spec paths, refreshed; the agent URL;
no host credentials; the venv's aws CLI."""

from __future__ import annotations

import os
import time

import pytest
from tests.runtime.conftest import AGENT_URL, ISSUER, RuntimeCluster, manifest

from podid.oidc.verify import verify_token

IRSA_DIR = "/var/run/secrets/eks.amazonaws.com/serviceaccount"
PI_DIR = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"

TOKEN_POD = f"""
apiVersion: v1
kind: ServiceAccount
metadata: {{name: app, namespace: ident}}
---
apiVersion: v1
kind: Pod
metadata: {{name: tokens, namespace: ident}}
spec:
  serviceAccountName: app
  containers:
  - name: main
    image: amazon/aws-cli:2.15.0
    command: ["sleep", "3600"]
    env:
    - {{name: AWS_ROLE_ARN, value: "arn:aws:iam::111122223333:role/app"}}
    - {{name: AWS_WEB_IDENTITY_TOKEN_FILE, value: "{IRSA_DIR}/token"}}
    - {{name: AWS_CONTAINER_CREDENTIALS_FULL_URI, value: "http://169.254.170.23/v1/credentials"}}
    - {{name: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, value: "{PI_DIR}/eks-pod-identity-token"}}
    volumeMounts:
    - {{name: aws-iam-token, mountPath: {IRSA_DIR}, readOnly: true}}
    - {{name: eks-pod-identity-token, mountPath: {PI_DIR}, readOnly: true}}
  volumes:
  - name: aws-iam-token
    projected:
      defaultMode: 420
      sources:
      - serviceAccountToken: {{audience: sts.amazonaws.com, expirationSeconds: 600, path: token}}
  - name: eks-pod-identity-token
    projected:
      defaultMode: 420
      sources:
      - serviceAccountToken: {{audience: pods.eks.amazonaws.com, expirationSeconds: 86400,
                               path: eks-pod-identity-token}}
"""


def _exec(rtc: RuntimeCluster, *cmd: str) -> str:
    return rtc.kubectl("exec", "-n", "ident", "tokens", "--", *cmd, check=True).stdout


def test_projected_tokens_at_spec_paths_and_refreshed(rtc: RuntimeCluster) -> None:
    rtc.kubectl("apply", "-f", "-", stdin=manifest("ident", TOKEN_POD), check=True)
    rtc.kubectl("wait", "-n", "ident", "pod/tokens", "--for=condition=Ready", "--timeout=20s", check=True)
    pod = rtc.pod("ident", "tokens")
    assert pod is not None
    uid = pod["metadata"]["uid"]
    irsa = _exec(rtc, "cat", f"{IRSA_DIR}/token")
    assert irsa and not irsa.endswith("\n") and irsa.count(".") == 2
    via_env = _exec(rtc, "sh", "-c", 'cat "$AWS_WEB_IDENTITY_TOKEN_FILE"')
    assert via_env == irsa
    claims = verify_token(irsa, rtc.keys, ISSUER, ["sts.amazonaws.com"])
    assert claims.pod_name == "tokens" and claims.pod_uid == uid
    assert claims.namespace == "ident" and claims.service_account_name == "app"
    pi = _exec(rtc, "sh", "-c", 'cat "$AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"')
    assert verify_token(pi, rtc.keys, ISSUER, ["pods.eks.amazonaws.com"]).pod_uid == uid
    assert _exec(rtc, "stat", "-L", "-c", "%a", f"{PI_DIR}/eks-pod-identity-token").strip() == "644"
    env = _exec(rtc, "env")
    assert f"AWS_CONTAINER_CREDENTIALS_FULL_URI={AGENT_URL}" in env
    # the API object keeps the in-spec paths
    spec_env = {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}
    assert spec_env["AWS_WEB_IDENTITY_TOKEN_FILE"] == f"{IRSA_DIR}/token"
    # 600 s token, refresh ratio 0.003 -> re-issued about every 1.8 s
    deadline = time.monotonic() + 8
    fresh = irsa
    while fresh == irsa and time.monotonic() < deadline:
        time.sleep(0.3)
        fresh = _exec(rtc, "cat", f"{IRSA_DIR}/token")
    assert fresh != irsa and not fresh.endswith("\n")
    assert verify_token(fresh, rtc.keys, ISSUER, ["sts.amazonaws.com"]).pod_uid == uid
    # a read-only mount is read-only for the process
    if rtc.runtime.namespace_mode:
        denied = rtc.kubectl("exec", "-n", "ident", "tokens", "--", "sh", "-c", f"echo x > {IRSA_DIR}/token")
        assert denied.returncode != 0
    rtc.kubectl("delete", "pod", "-n", "ident", "tokens", "--timeout=20s", check=True)


AWS_PODS = """
apiVersion: v1
kind: Pod
metadata: {name: version, namespace: awscli}
spec:
  restartPolicy: Never
  containers:
  - name: aws
    image: amazon/aws-cli
    args: ["--version"]
---
apiVersion: v1
kind: Pod
metadata: {name: nocreds, namespace: awscli}
spec:
  restartPolicy: Never
  containers:
  - name: aws
    image: public.ecr.aws/aws-cli/aws-cli:2.15.0
    args: ["sts", "get-caller-identity"]
"""


def test_aws_cli_image_and_no_host_credentials(rtc: RuntimeCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAHOSTKEYSHOULDNOTLEAK")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "host-secret-should-not-leak")
    home = rtc.home / "hosthome"
    (home / ".aws").mkdir(parents=True, exist_ok=True)
    (home / ".aws" / "credentials").write_text("[default]\naws_access_key_id=AKIAX\n"
                                               "aws_secret_access_key=y\n")
    monkeypatch.setenv("HOME", str(home))
    rtc.kubectl("apply", "-f", "-", stdin=manifest("awscli", AWS_PODS), check=True)
    pod = rtc.wait_phase("awscli", "version", "Succeeded", "Failed", timeout=30)
    assert pod["status"]["phase"] == "Succeeded", pod["status"]
    assert rtc.kubectl("logs", "-n", "awscli", "version", check=True).stdout.startswith("aws-cli/")
    pod = rtc.wait_phase("awscli", "nocreds", "Succeeded", "Failed", timeout=30)
    assert pod["status"]["phase"] == "Failed"
    logs = rtc.kubectl("logs", "-n", "awscli", "nocreds", check=True).stdout
    assert "Unable to locate credentials" in logs
    assert pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] != 0
    assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIAHOSTKEYSHOULDNOTLEAK"
