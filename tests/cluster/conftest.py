"""The seeds' lab through one real `podid up --cluster lab` (support.lab): the real kubectl, the aws
CLI v1 and boto3 inside pods that are local processes, and the seeds' two test pods."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.kubectl import require_kubectl
from support.lab import LAB, NS, Lab, seed_lab


@pytest.fixture(scope="session", autouse=True)
def _kubectl_required() -> None:
    require_kubectl()


@pytest.fixture(scope="package")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The seeds' steps 1-7 (add-on, policy, role, ServiceAccount, association, pods)."""
    with seed_lab(tmp_path_factory, "cluster-lab", host_imds=True) as world:
        world.ok(f"kubectl apply -f {LAB / 's3-reader-test.yaml'} -f {LAB / 's3-deny-test.yaml'}")
        world.ok(f"kubectl -n {NS} wait --for=condition=Ready pod/s3-reader-test pod/s3-deny-test "
                 "--timeout=60s", timeout=90)
        yield world
