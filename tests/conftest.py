"""Project-wide pytest fixtures: a real ``podid up`` server (see tests/support/server.py).

* ``podid_server`` (session scope): one shared server; don't change its global state in tests.
* ``podid_server_factory`` (function scope): ``factory(state_dir=None, **kwargs)`` starts a
  private server (kwargs of :func:`support.server.start_podid`), stopped after the test.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support.server import PodidServer, start_podid

# Every server in the tests listens on loopback: a proxy from the environment (httpx and
# botocore honour *_PROXY variables) can only get in the way, so tests never use one.
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_var, None)
for _var in ("NO_PROXY", "no_proxy"):  # httpx cannot parse some entries (e.g. "::1"); none needed
    os.environ.pop(_var, None)



@pytest.fixture(scope="session")
def podid_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodidServer]:
    with start_podid(tmp_path_factory.mktemp("podid-shared")) as server:
        yield server


@pytest.fixture
def podid_server_factory(tmp_path: Path) -> Iterator[Callable[..., PodidServer]]:
    with contextlib.ExitStack() as stack:
        count = 0

        def factory(state_dir: Path | None = None, **kwargs: Any) -> PodidServer:
            nonlocal count
            count += 1
            return stack.enter_context(start_podid(state_dir or tmp_path / f"podid-{count}", **kwargs))

        yield factory
