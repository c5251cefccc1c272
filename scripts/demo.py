"""`make demo`: runs the most complete part of the seeds' lab that works so far."""

from __future__ import annotations

import subprocess
import sys


def main() -> int:
    return subprocess.call([sys.executable, "-m", "podid.cli", "--help"])


if __name__ == "__main__":
    raise SystemExit(main())
