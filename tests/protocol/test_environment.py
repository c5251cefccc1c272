"""Importing podid.protocol (and so localstack) leaves the process's proxy variables alone."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_PROBE = "import os, podid.protocol; print(repr((os.environ.get('no_proxy'), os.environ.get('NO_PROXY'))))"


@pytest.mark.parametrize(
    ("env", "expected"),
    [({}, (None, None)), ({"NO_PROXY": "example.internal"}, (None, "example.internal"))],
)
def test_import_keeps_no_proxy(env: dict[str, str], expected: tuple[str | None, str | None]) -> None:
    base = {k: v for k, v in os.environ.items() if k.lower() != "no_proxy"}
    out = subprocess.run([sys.executable, "-c", _PROBE], env={**base, **env}, capture_output=True,
                         text=True, timeout=120, check=True).stdout.strip()
    assert out == repr(expected)
