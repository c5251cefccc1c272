"""Fixtures for the EKS API tests: one shared ``podid up`` with podid.eks installed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.eks import start_eks_server
from support.server import PodidServer


@pytest.fixture(scope="session")
def eks_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodidServer]:
    with start_eks_server(tmp_path_factory.mktemp("podid-eks") / "state") as server:
        yield server
