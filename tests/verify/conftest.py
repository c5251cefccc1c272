"""One `podid up --cluster lab --node-role lab-node` with the seeds' lab (add-on, policy, role,
ServiceAccount, association, bucket with allowed/ and blocked/ objects) for `podid verify`. The node
role trusts EC2 and has no policy until a test makes it over-broad."""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from tests.cluster.conftest import BUCKET, CLUSTER, LAB, NS, Lab

from support.kubectl import require_kubectl
from support.server import start_podid

NODE_ROLE = "lab-node"
EC2_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "ec2.amazonaws.com"}}]}


@pytest.fixture(scope="package")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    require_kubectl()
    with start_podid(tmp_path_factory.mktemp("verify") / "state",
                     extra_args=["--cluster", CLUSTER, "--kube-port", "0", "--node-role", NODE_ROLE]) as srv:
        srv.env["HOME"] = str(tmp_path_factory.mktemp("home"))
        world = Lab(srv, srv.account_id)
        world.role(NODE_ROLE, EC2_TRUST)
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
        yield world


def verify(lab: Lab, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """`podid verify --cluster lab ARGS` in the user's shell (STATE/env sourced: endpoint, profile,
    KUBECONFIG), the way the README runs it."""
    return lab.sh("podid verify --cluster lab " + " ".join(map(shlex.quote, args)), timeout=timeout)


def verify_json(lab: Lab, *args: str) -> tuple[int, dict[str, Any]]:
    done = verify(lab, *args, "--format", "json")
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return done.returncode, json.loads(done.stdout)


def checks(report: dict[str, Any], workload: int = 0) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in report["workloads"][workload]["checks"]}


def seed_target(sa: str = "s3-reader") -> tuple[str, ...]:
    return ("--namespace", NS, "--service-account", sa, "--bucket", BUCKET, "--allowed-prefix", "allowed/",
            "--blocked-prefix", "blocked/")
