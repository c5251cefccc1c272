"""Vendor AWS managed policies from moto into src/podid/store/data/aws_managed_policies.json.gz.

moto ships the AWS managed policies (name, path, default version id, document, create/update dates)
as a JSON string in `moto/iam/aws_managed_policies.py`. podid reads a vendored, compressed copy at
runtime instead of importing moto's IAM module; this script regenerates it and records the moto
version it came from. Run: `.venv/bin/python scripts/vendor_managed_policies.py`.
"""

from __future__ import annotations

import gzip
import json
from importlib.metadata import version
from pathlib import Path

from moto.iam.aws_managed_policies import aws_managed_policies_data

OUT = (
    Path(__file__).resolve().parents[1] / "src" / "podid" / "store" / "data" / "aws_managed_policies.json.gz"
)


def main() -> None:
    """Write the data file: {"source": ..., "policies": {name: {...}}} sorted by name."""
    policies = json.loads(aws_managed_policies_data)
    payload = {
        "source": f"moto {version('moto')} moto/iam/aws_managed_policies.py",
        "count": len(policies),
        "policies": {name: policies[name] for name in sorted(policies)},
    }
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: byte-identical output for identical input
    OUT.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    print(f"wrote {OUT} ({len(policies)} policies from {payload['source']})")


if __name__ == "__main__":
    main()
