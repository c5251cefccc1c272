"""The kubectl the tests drive: the one on PATH, version >= 1.30 (WebSocket exec), or a clear failure."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

KUBECTL_MIN = (1, 30)


def kubectl_version() -> tuple[int, int] | None:
    """(major, minor) of the kubectl on PATH, or None when there is none."""
    exe = shutil.which("kubectl")
    if exe is None:
        return None
    out = subprocess.run([exe, "version", "--client", "-o", "json"], capture_output=True, text=True,
                         timeout=30)
    info = json.loads(out.stdout or "{}").get("clientVersion") or {}
    try:
        return int(info["major"]), int("".join(ch for ch in info["minor"] if ch.isdigit()))
    except (KeyError, ValueError):
        return None


def require_kubectl() -> None:
    """Fail (not skip: a skip would hide missing coverage) unless kubectl >= 1.30 is on PATH."""
    version = kubectl_version()
    if version is None or version < KUBECTL_MIN:
        pytest.fail(f"kubectl >= 1.30 is required on PATH for these tests (found: {version}); "
                    "see README", pytrace=False)
