"""Fixtures for the EKS API tests: one shared ``podid up`` with podid.eks installed."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from eks_helpers import start_eks_server  # noqa: E402

from support.server import PodidServer  # noqa: E402


@pytest.fixture(scope="session")
def eks_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodidServer]:
    with start_eks_server(tmp_path_factory.mktemp("podid-eks") / "state") as server:
        yield server
