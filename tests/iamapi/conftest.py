"""IAM API fixtures: one private `podid up` per test module (the tests change IAM state)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from support.server import PodidServer, start_podid


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodidServer]:
    with start_podid(tmp_path_factory.mktemp("podid-iamapi")) as srv:
        yield srv


@pytest.fixture(scope="module")
def iam(server: PodidServer) -> Any:
    return server.client("iam")
