"""Load tests/data/iam-cases/*.json cases and run them through the pure judge (podid.iam).

Used by tests/iam (every case's expected decision) and tests/dataplane (the judge's view of a case
the peer-accuracy tool rewrote)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from podid.iam import Decision, PolicySet, Request, evaluate, parse_policy

CASES_DIR = Path(__file__).resolve().parents[1] / "data" / "iam-cases"


def load_cases(filename: str) -> list[dict[str, Any]]:
    path = CASES_DIR / filename
    if not path.exists():
        return []
    data = json.loads(path.read_text())
    cases: list[dict[str, Any]] = data["cases"]
    return cases


def build(case: dict[str, Any]) -> tuple[Request, PolicySet]:
    r = case["request"]
    req = Request(
        principal=r["principal"],
        action=r["action"],
        resource=r.get("resource", "*"),
        context=r.get("context", {}),
        resource_account=r.get("resource_account"),
        principal_type=r.get("principal_type", "AWS"),
    )
    p = case.get("policies", {})

    def many(kind: str) -> list[Any] | None:
        if kind not in p:
            return None
        return [parse_policy(d, kind=kind, name=f"{kind}[{i}]") for i, d in enumerate(p[kind])]  # type: ignore[arg-type]

    resource = None
    if "resource" in p:
        resource = parse_policy(p["resource"], kind=p.get("resource_kind", "resource"), name="resource")
    ps = PolicySet(
        identity=many("identity") or [],
        resource=resource,
        boundary=many("boundary"),
        session=many("session"),
        scp=many("scp"),
        rcp=many("rcp"),
    )
    return req, ps


def run(case: dict[str, Any]) -> Decision:
    req, ps = build(case)
    return evaluate(req, ps)
