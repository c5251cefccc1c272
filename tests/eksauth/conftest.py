"""Fixtures for the EKS Auth tests: a shared ``podid up`` with podid.eks, one cluster, a node user."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "eks"))

from eks_helpers import start_eks_server  # noqa: E402

from support.server import PodidServer  # noqa: E402


@pytest.fixture(scope="session")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodidServer]:
    with start_eks_server(tmp_path_factory.mktemp("podid-eksauth") / "state") as server:
        server.client("eks").create_cluster(name="c1", roleArn=f"arn:aws:iam::{server.account_id}:role/x",
                                            resourcesVpcConfig={})
        server.client("eks").create_cluster(name="c2", roleArn=f"arn:aws:iam::{server.account_id}:role/x",
                                            resourcesVpcConfig={})
        yield server
