"""Fixtures for the EKS Auth tests: a shared ``podid up`` with podid.eks, one cluster, a node user."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.eks import start_eks_server
from support.server import PodidServer


@pytest.fixture(scope="session")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodidServer]:
    with start_eks_server(tmp_path_factory.mktemp("podid-eksauth") / "state") as server:
        server.client("eks").create_cluster(name="c1", roleArn=f"arn:aws:iam::{server.account_id}:role/x",
                                            resourcesVpcConfig={})
        server.client("eks").create_cluster(name="c2", roleArn=f"arn:aws:iam::{server.account_id}:role/x",
                                            resourcesVpcConfig={})
        yield server
