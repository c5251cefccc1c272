"""One `podid up --cluster lab` for the workload-controller tests (real kubectl, aws CLI)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cluster.conftest import CLUSTER, LAB, Lab
from support.kubectl import require_kubectl
from support.server import start_podid


@pytest.fixture(scope="package")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    require_kubectl()
    with start_podid(tmp_path_factory.mktemp("controllers") / "state",
                     extra_args=["--cluster", CLUSTER, "--kube-port", "0"]) as srv:
        srv.env["HOME"] = str(tmp_path_factory.mktemp("home"))
        world = Lab(srv, srv.account_id)
        world.ok(f"aws eks create-addon --cluster-name {CLUSTER} --addon-name eks-pod-identity-agent")
        world.role("s3-reader", LAB / "pod-identity-trust.json")
        world.ok(f"kubectl apply -f {LAB / 's3-reader-sa.yaml'}")
        world.ok(f"aws eks create-pod-identity-association --cluster-name {CLUSTER} --namespace lab "
                 f"--service-account s3-reader --role-arn arn:aws:iam::{srv.account_id}:role/s3-reader")
        yield world
