"""Run every benchmark in bench/ (`*_bench.py`), one after the other; `make bench` calls this.

Each script runs in its own interpreter (the venv's) so that one benchmark's imports and warm
caches do not flatter the next. Exit status: non-zero when any benchmark script failed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(BENCH.glob("*_bench.py"))
    if not scripts:
        print("no *_bench.py scripts in bench/")
        return 0
    failed: list[str] = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        rc = subprocess.run([sys.executable, str(script), *argv], cwd=BENCH.parent).returncode
        if rc != 0:
            failed.append(f"{script.name} (exit {rc})")
        print(flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
