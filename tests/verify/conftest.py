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

from support.lab import BUCKET, NS, Lab, seed_lab

NODE_ROLE = "lab-node"


@pytest.fixture(scope="package")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with seed_lab(tmp_path_factory, "verify", node_role=NODE_ROLE) as world:
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
