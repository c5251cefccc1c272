"""Fixtures: one ``podid up --tls-port`` as "AWS" and its BrokerWorld for the module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.broker import BrokerWorld
from support.eks import start_eks_server
from support.server import free_port


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerWorld]:
    tmp = tmp_path_factory.mktemp("broker")
    with start_eks_server(tmp / "aws", extra_args=["--tls-port", str(free_port())]) as server:
        yield BrokerWorld.create(server, tmp)
