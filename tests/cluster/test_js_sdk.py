"""The AWS SDK for JavaScript v3 (@aws-sdk/client-sts, client-s3, credential-providers from npm,
js/package.json) inside pods: its default credential chain must find the identity podid gives."""

from __future__ import annotations

import json
import shutil
import time

import pytest

from support.lab import BUCKET, CLUSTER, NS, ROOT, Lab

from .test_identity_paths import _irsa_role

JS = ROOT / "js"


@pytest.fixture(scope="module", autouse=True)
def _sdk_installed() -> None:
    if not (JS / "node_modules" / "@aws-sdk" / "client-sts").is_dir() or shutil.which("node") is None:
        pytest.fail("the JS SDK is not installed: run `make test` (it runs `npm ci --prefix js`)",
                    pytrace=False)


def _run_js(lab: Lab, name: str, sa: str) -> tuple[str, list[dict[str, object]]]:
    manifest = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS},
        "spec": {"serviceAccountName": sa, "restartPolicy": "Never", "terminationGracePeriodSeconds": 0,
                 "containers": [{"name": "node", "image": "node:20", "workingDir": "/app",
                                 "command": ["node", "/app/whoami.mjs", BUCKET, "allowed/", "blocked/"],
                                 "volumeMounts": [{"name": "app", "mountPath": "/app", "readOnly": True}]}],
                 "volumes": [{"name": "app", "hostPath": {"path": str(JS), "type": "Directory"}}]}}
    lab.ok(f"echo '{json.dumps(manifest)}' | kubectl apply -f -")
    for _ in range(120):
        phase = lab.sh(f"kubectl -n {NS} get pod {name} -o jsonpath='{{.status.phase}}'").stdout.strip()
        if phase in ("Succeeded", "Failed"):
            break
        time.sleep(0.5)
    logs = lab.ok(f"kubectl -n {NS} logs {name}")
    return phase, [json.loads(line) for line in logs.splitlines() if line.startswith("{")]


def test_js_sdk_pod_identity(lab: Lab) -> None:
    phase, steps = _run_js(lab, "js-pod-identity", "s3-reader")
    assert phase == "Failed", steps          # the blocked prefix fails, so the script exits 1
    sts, allowed, blocked = steps
    assert str(sts["arn"]).startswith(
        f"arn:aws:sts::{lab.account}:assumed-role/s3-reader/eks-{CLUSTER}-js-pod-identity-"), sts
    assert allowed == {"step": "s3", "prefix": "allowed/", "keys": ["allowed/report.txt"]}
    assert blocked["error"] == "AccessDenied" and "s3:ListBucket" in str(blocked["message"])


def test_js_sdk_irsa(lab: Lab) -> None:
    arn = _irsa_role(lab, "js-irsa", "js-irsa-sa")
    lab.ok(f"kubectl -n {NS} create sa js-irsa-sa")
    lab.ok(f"kubectl -n {NS} annotate sa js-irsa-sa eks.amazonaws.com/role-arn={arn}")
    _, steps = _run_js(lab, "js-irsa", "js-irsa-sa")
    assert str(steps[0]["arn"]).startswith(f"arn:aws:sts::{lab.account}:assumed-role/js-irsa/"), steps
    assert steps[1]["keys"] == ["allowed/report.txt"] and steps[2]["error"] == "AccessDenied"


def test_js_sdk_default_service_account_has_no_credentials(lab: Lab) -> None:
    phase, steps = _run_js(lab, "js-default", "default")
    assert phase == "Failed"
    assert steps[0]["step"] == "sts" and steps[0]["error"] == "CredentialsProviderError", steps
    assert all(s.get("error") == "CredentialsProviderError" for s in steps[1:]), steps
