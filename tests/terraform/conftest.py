"""One ``podid up`` (clusters ``lab`` and seed 002's ``kkamji-al2023``) for every Terraform test;
each test runs its own module through apply -> plan -> destroy and leaves the server as it found it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.kubectl import require_kubectl
from support.lab import UserShell
from support.server import PodidServer, start_podid
from support.terraform import Terraform, require_terraform

DATA = Path(__file__).resolve().parents[1] / "data" / "terraform"
CLUSTERS = ("lab", "kkamji-al2023")


@pytest.fixture(scope="package", autouse=True)
def _tools_required() -> None:
    require_terraform()
    require_kubectl()


@pytest.fixture(scope="package")
def tf_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodidServer]:
    args = [a for c in CLUSTERS for a in ("--cluster", c)]
    with start_podid(tmp_path_factory.mktemp("terraform") / "state",
                     extra_args=[*args, "--kube-port", "0"]) as srv:
        srv.env["HOME"] = str(tmp_path_factory.mktemp("home"))   # kubectl's cache: not ~/.kube
        srv.env.pop("AWS_EC2_METADATA_DISABLED", None)
        yield srv


def sh(srv: PodidServer, command: str, *, timeout: float = 120) -> str:
    """``source STATE/env && COMMAND`` in bash (the user's shell); fails the test on non-zero exit."""
    return UserShell(srv).ok(command, timeout=timeout)


def module(tmp_path: Path, srv: PodidServer, name: str) -> Terraform:
    """A copy of tests/data/terraform/NAME with podid's provider block, initialised."""
    work = tmp_path / name
    shutil.copytree(DATA / name, work)
    tf = Terraform.for_server(work, srv)
    tf.init()
    return tf
