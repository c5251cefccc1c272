"""A real ``podid up --cluster lab`` per test, `podid eksctl ...` and the real kubectl driven as a
user's shell would (``source DIR/env``), pods that run the aws CLI."""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.kubectl import require_kubectl
from support.lab import UserShell
from support.server import PODID, start_podid

CLUSTER = "lab"
S3_READ = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}]}


@dataclass
class Shell(UserShell):
    """The user's shell (support.lab) with `podid eksctl`, policies and pods of the aws CLI image."""

    def eksctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.sh(f"{PODID} eksctl " + " ".join(map(shlex.quote, args)))

    def policy(self, name: str, doc: dict[str, Any] = S3_READ) -> str:
        return self.ok(f"aws iam create-policy --policy-name {name} --policy-document "
                       f"{shlex.quote(json.dumps(doc))} --query Policy.Arn --output text").strip()

    def role_names(self) -> set[str]:
        return set(self.ok("aws iam list-roles --query 'Roles[].RoleName' --output text").split())

    def pod_arn(self, name: str, sa: str, ns: str = "default") -> str:
        """Run a pod of ServiceAccount ``sa`` (aws CLI image); its `aws sts get-caller-identity` Arn."""
        manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
                    "spec": {"serviceAccountName": sa, "terminationGracePeriodSeconds": 0,
                             "containers": [{"name": "aws", "image": "amazon/aws-cli:latest",
                                             "command": ["sleep", "3600"]}]}}
        self.ok(f"echo {shlex.quote(json.dumps(manifest))} | kubectl apply -f -")
        self.ok(f"kubectl -n {ns} wait --for=condition=Ready pod/{name} --timeout=60s", timeout=90)
        return self.ok(f"kubectl exec -n {ns} {name} -- aws sts get-caller-identity --query Arn "
                       "--output text").strip()


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[Shell]:
    require_kubectl()
    with start_podid(tmp_path / "state", extra_args=["--cluster", CLUSTER, "--kube-port", "0"]) as srv:
        srv.env["HOME"] = str(tmp_path / "home")
        srv.env.pop("AWS_EC2_METADATA_DISABLED", None)
        yield Shell(srv)
