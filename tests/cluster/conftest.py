"""The seeds' lab through one real `podid up --cluster lab`: the real kubectl, the aws CLI v1 and
boto3 inside pods that are local processes. kubectl >= 1.30 must be on PATH (README)."""

from __future__ import annotations

import json
import shlex
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.kubectl import require_kubectl
from support.server import PodidServer, start_podid

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "examples" / "lab"
CLUSTER = "lab"
NS = "lab"
BUCKET = "podid-lab-bucket"


@pytest.fixture(scope="session", autouse=True)
def _kubectl_required() -> None:
    require_kubectl()


@dataclass
class Lab:
    """A running `podid up --cluster lab` with the seeds' role, policy, bucket and association."""

    srv: PodidServer
    account: str

    def sh(self, command: str, *, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        """``source DIR/env && COMMAND`` in bash (the user's shell in the seeds)."""
        env_file = shlex.quote(str(self.srv.state_dir / "env"))
        return subprocess.run(["bash", "-c", f"source {env_file} && {command}"], env=self.srv.env,
                              capture_output=True, text=True, timeout=timeout, cwd=ROOT)

    def ok(self, command: str, *, timeout: float = 90) -> str:
        done = self.sh(command, timeout=timeout)
        assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
        return done.stdout

    def kubectl_json(self, *args: str) -> Any:
        return json.loads(self.ok("kubectl " + " ".join(map(shlex.quote, args)) + " -o json"))

    def role(self, name: str, trust: dict[str, Any] | Path, policy_arn: str | None = None) -> str:
        doc = f"file://{trust}" if isinstance(trust, Path) else shlex.quote(json.dumps(trust))
        arn = self.ok(f"aws iam create-role --role-name {name} --assume-role-policy-document {doc} "
                      "--query Role.Arn --output text").strip()
        if policy_arn:
            self.ok(f"aws iam attach-role-policy --role-name {name} --policy-arn {policy_arn}")
        return arn

    def pod(self, name: str, sa: str, *, ns: str = NS, image: str = "public.ecr.aws/aws-cli/aws-cli:2",
            command: tuple[str, ...] = ("sleep", "3600"), wait: bool = True,
            restart: str = "Always") -> None:
        manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
                    "spec": {"serviceAccountName": sa, "automountServiceAccountToken": False,
                             "terminationGracePeriodSeconds": 0, "restartPolicy": restart,
                             "containers": [{"name": "main", "image": image, "command": list(command)}]}}
        self.ok(f"echo {shlex.quote(json.dumps(manifest))} | kubectl apply -f -")
        if wait:
            self.ok(f"kubectl -n {ns} wait --for=condition=Ready pod/{name} --timeout=60s", timeout=90)

    def exec(self, pod: str, command: str, *, ns: str = NS) -> subprocess.CompletedProcess[str]:
        return self.sh(f"kubectl exec -n {ns} {pod} -- {command}")

    def wait_for(self, command: str, wanted: str, attempts: int = 60) -> str:
        out = ""
        for _ in range(attempts):
            out = self.sh(command).stdout.strip()
            if out == wanted:
                return out
            time.sleep(0.5)
        raise AssertionError(f"{command}: wanted {wanted!r}, last {out!r}")


@pytest.fixture(scope="package")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The seeds' steps 1-7 (add-on, policy, role, ServiceAccount, association, pods)."""
    with start_podid(tmp_path_factory.mktemp("cluster-lab") / "state",
                     extra_args=["--cluster", CLUSTER, "--kube-port", "0"]) as srv:
        env_home = tmp_path_factory.mktemp("home")
        srv.env["HOME"] = str(env_home)          # kubectl's cache dir: not the developer's ~/.kube
        srv.env.pop("AWS_EC2_METADATA_DISABLED", None)
        world = Lab(srv, srv.account_id)
        world.ok(f"aws eks create-addon --cluster-name {CLUSTER} --addon-name eks-pod-identity-agent")
        world.ok(f"aws iam create-policy --policy-name s3-reader --policy-document "
                 f"file://{LAB / 's3-reader-policy.json'}")
        world.role("s3-reader", LAB / "pod-identity-trust.json",
                   f"arn:aws:iam::{srv.account_id}:policy/s3-reader")
        world.ok(f"aws s3 mb s3://{BUCKET}")
        world.ok(f"printf 'quarterly numbers' | aws s3 cp - s3://{BUCKET}/allowed/report.txt")
        world.ok(f"printf 'not for you' | aws s3 cp - s3://{BUCKET}/blocked/secret.txt")
        world.ok(f"kubectl apply -f {LAB / 's3-reader-sa.yaml'}")
        world.ok(f"aws eks create-pod-identity-association --cluster-name {CLUSTER} --namespace {NS} "
                 f"--service-account s3-reader --role-arn arn:aws:iam::{srv.account_id}:role/s3-reader")
        world.ok(f"kubectl apply -f {LAB / 's3-reader-test.yaml'} -f {LAB / 's3-deny-test.yaml'}")
        world.ok(f"kubectl -n {NS} wait --for=condition=Ready pod/s3-reader-test pod/s3-deny-test "
                 "--timeout=60s", timeout=90)
        yield world

