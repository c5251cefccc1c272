"""The CLI answers --help for the root and every group, through the installed entry point."""

import subprocess
import sys
from pathlib import Path

PODID = Path(sys.executable).parent / "podid"


def test_root_help_lists_groups() -> None:
    out = subprocess.run([str(PODID), "--help"], capture_output=True, text=True, check=True).stdout
    assert "Usage" in out
