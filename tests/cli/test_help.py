"""The CLI answers --help for the root and every command, through the installed entry point, and
the root help lists every command and group registered in podid.cli."""

import subprocess
import sys
from pathlib import Path

import typer.main

from podid.cli import app

PODID = Path(sys.executable).parent / "podid"


def _registered() -> set[str]:
    click_app = typer.main.get_command(app)
    return set(getattr(click_app, "commands", {}))


def test_root_help_lists_every_registered_command() -> None:
    out = subprocess.run([str(PODID), "--help"], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    names = _registered()
    assert {"up", "iam", "agent", "broker", "plan", "verify", "access-matrix", "policy", "eksctl",
            "terraform", "irsa", "audit"} <= names
    missing = [n for n in names if n not in out]
    assert not missing, f"not in `podid --help`: {missing}\n{out}"


def test_every_command_answers_help() -> None:
    for name in sorted(_registered()):
        done = subprocess.run([str(PODID), name, "--help"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"podid {name} --help: {done.stderr}"
        assert f"podid {name}" in done.stdout, done.stdout
