"""The seeds' lab for tests: a user's shell on a running `podid up --cluster lab` (:class:`UserShell`,
:class:`Lab`) and the one set-up of the seeds' steps 1-6 (:func:`seed_lab`): EKS add-on, the
s3-reader policy and role, the bucket with allowed/ and blocked/ objects, the ServiceAccount and the
Pod Identity association. kubectl >= 1.30 must be on PATH (README)."""

from __future__ import annotations

import json
import shlex
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from support.kubectl import require_kubectl
from support.server import PodidServer, start_podid

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "examples" / "lab"
CLUSTER = "lab"
NS = "lab"
BUCKET = "podid-lab-bucket"
#: A node role's trust policy: EC2 may assume it (the instance profile of the seeds' nodes).
EC2_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "ec2.amazonaws.com"}}]}


@dataclass
class UserShell:
    """The user's shell on a running `podid up`: ``source STATE/env && COMMAND`` in bash."""

    srv: PodidServer
    timeout: ClassVar[float] = 120
    cwd: ClassVar[Path | None] = None

    def sh(self, command: str, *, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
        """``source DIR/env && COMMAND`` in bash (the user's shell in the seeds)."""
        env_file = shlex.quote(str(self.srv.state_dir / "env"))
        return subprocess.run(["bash", "-c", f"source {env_file} && {command}"], env=self.srv.env,
                              capture_output=True, text=True, timeout=timeout or self.timeout,
                              cwd=self.cwd)

    def ok(self, command: str, *, timeout: float | None = None) -> str:
        """Run COMMAND; fail the test on a non-zero exit; its stdout."""
        done = self.sh(command, timeout=timeout)
        assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
        return done.stdout

    def kubectl_json(self, *args: str) -> Any:
        return json.loads(self.ok("kubectl " + " ".join(map(shlex.quote, args)) + " -o json"))


@dataclass
class Lab(UserShell):
    """A running `podid up --cluster lab` with the seeds' role, policy, bucket and association."""

    account: str = ""
    timeout: ClassVar[float] = 90
    cwd: ClassVar[Path | None] = ROOT

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

    # the seeds' steps, one method each, so a fixture can take the ones it needs
    def addon(self) -> None:
        """Step 1: the eks-pod-identity-agent add-on."""
        self.ok(f"aws eks create-addon --cluster-name {CLUSTER} --addon-name eks-pod-identity-agent")

    def s3_reader_role(self, *, with_policy: bool = True) -> str:
        """Steps 2-3: the s3-reader policy (unless ``with_policy`` is false) and the role that trusts
        pods.eks.amazonaws.com, with the policy attached; the role's ARN."""
        policy_arn = None
        if with_policy:
            self.ok(f"aws iam create-policy --policy-name s3-reader --policy-document "
                    f"file://{LAB / 's3-reader-policy.json'}")
            policy_arn = f"arn:aws:iam::{self.account}:policy/s3-reader"
        return self.role("s3-reader", LAB / "pod-identity-trust.json", policy_arn)

    def bucket(self, objects: Sequence[tuple[str, str]] = (("allowed/report.txt", "quarterly numbers"),
                                                            ("blocked/secret.txt", "not for you"))) -> None:
        """Step 4: the bucket with its (key, body) objects."""
        self.ok(f"aws s3 mb s3://{BUCKET}")
        for key, body in objects:
            self.ok(f"printf {shlex.quote(body)} | aws s3 cp - s3://{BUCKET}/{key}")

    def service_account(self) -> None:
        """Step 5: namespace lab and ServiceAccount s3-reader (examples/lab/s3-reader-sa.yaml)."""
        self.ok(f"kubectl apply -f {LAB / 's3-reader-sa.yaml'}")

    def associate(self, sa: str = "s3-reader", role: str = "s3-reader") -> None:
        """Step 6: the Pod Identity association of lab/SA with ROLE."""
        self.ok(f"aws eks create-pod-identity-association --cluster-name {CLUSTER} --namespace {NS} "
                f"--service-account {sa} --role-arn arn:aws:iam::{self.account}:role/{role}")


@contextmanager
def start_lab(tmp_path_factory: pytest.TempPathFactory, name: str, *, node_role: str | None = None,
              node_policy_arn: str | None = None, extra_args: Sequence[str] = (),
              host_imds: bool = False) -> Iterator[Lab]:
    """`podid up --cluster lab` (state under a fresh temporary NAME) with nothing created yet.

    ``node_role``: ``--node-role NODE_ROLE``, and the role itself (trusting EC2, with
    ``node_policy_arn`` attached if given). ``extra_args``: more ``podid up`` options.
    ``host_imds``: the user's shell does not set AWS_EC2_METADATA_DISABLED."""
    require_kubectl()
    args = ["--cluster", CLUSTER, "--kube-port", "0", *extra_args]
    if node_role:
        args += ["--node-role", node_role]
    with start_podid(tmp_path_factory.mktemp(name) / "state", extra_args=args) as srv:
        srv.env["HOME"] = str(tmp_path_factory.mktemp("home"))   # kubectl's cache: not ~/.kube
        if host_imds:
            srv.env.pop("AWS_EC2_METADATA_DISABLED", None)
        lab = Lab(srv, srv.account_id)
        if node_role:
            lab.role(node_role, EC2_TRUST, node_policy_arn)
        yield lab


@contextmanager
def seed_lab(tmp_path_factory: pytest.TempPathFactory, name: str, *, node_role: str | None = None,
             host_imds: bool = False) -> Iterator[Lab]:
    """:func:`start_lab` with the seeds' steps 1-6 done: add-on, s3-reader policy and role, the bucket
    with allowed/report.txt and blocked/secret.txt, ServiceAccount lab/s3-reader, its association."""
    with start_lab(tmp_path_factory, name, node_role=node_role, host_imds=host_imds) as lab:
        lab.addon()
        lab.s3_reader_role()
        lab.bucket()
        lab.service_account()
        lab.associate()
        yield lab
