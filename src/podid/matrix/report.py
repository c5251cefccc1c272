"""The JSON report (schema `podid.access-matrix/1`, the input of `--against`) and the diff of two.

Stable: keys and list orders are fixed (cells sorted by identity, resource, action), so two
reports of the same state are byte-identical apart from `generated`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from podid.matrix.model import Cell, Inventory, Row

SCHEMA = "podid.access-matrix/1"


def build(inv: Inventory, cells: Sequence[Cell], rows: Sequence[Row]) -> dict[str, Any]:
    """The report as a JSON-ready dict."""
    ordered = sorted(cells, key=lambda c: (c.identity, c.resource, c.action))
    return {
        "schema": SCHEMA,
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cluster": inv.cluster, "account": inv.account, "region": inv.region,
        "identities": [
            {"serviceAccount": i.key, "namespace": i.namespace, "name": i.service_account, "via": i.via,
             "roleArn": i.role_arn, "associationId": i.association_id,
             "policies": [n for n, _ in inv.roles[i.role_arn].identity] if i.role_arn in inv.roles else [],
             "boundary": (inv.roles[i.role_arn].boundary or (None,))[0] if i.role_arn in inv.roles else None}
            for i in sorted(inv.identities, key=lambda i: i.key)],
        "resources": sorted({c.resource for c in cells}),
        "notes": list(inv.notes),
        "summary": {"cells": len(cells), "allowed": sum(c.decision == "allowed" for c in cells),
                    "rows": len(rows)},
        "rows": [{"serviceAccount": r.identity, "roleArn": r.role_arn, "service": r.service,
                  "accessLevel": r.access_level, "resource": r.resource_label, "resources": list(r.resources),
                  "actions": list(r.actions), "decision": r.decision, "deciding": list(r.deciding),
                  "conditional": r.conditional} for r in rows],
        "cells": [{"serviceAccount": c.identity, "service": c.service, "action": c.action,
                   "accessLevel": c.access_level, "resource": c.resource, "decision": c.decision,
                   "deciding": list(c.deciding), "deniedIn": c.denied_in, "conditional": c.conditional}
                  for c in ordered],
    }


def cells_of(report: Mapping[str, Any]) -> list[Cell]:
    """The cells of a report (ValueError when it is not a podid access-matrix report)."""
    if report.get("schema") != SCHEMA:
        raise ValueError(f"not a {SCHEMA} report (schema: {report.get('schema')!r})")
    return [Cell(identity=c["serviceAccount"], service=c["service"], action=c["action"],
                 access_level=c.get("accessLevel", ""), resource=c["resource"], decision=c["decision"],
                 deciding=tuple(c.get("deciding", ())), denied_in=c.get("deniedIn"),
                 conditional=bool(c.get("conditional"))) for c in report.get("cells", [])]


@dataclass(frozen=True)
class Change:
    """One cell whose decision differs: `kind` is "added" (now allowed), "removed" (no longer
    allowed) or "changed" (a different denial)."""

    kind: str
    identity: str
    service: str
    action: str
    resource: str
    before: str | None      # None: the cell did not exist (new identity, resource or action)
    after: str | None
    deciding: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"deciding": list(self.deciding)}


def diff(old: Sequence[Cell], new: Sequence[Cell]) -> list[Change]:
    """Cells whose decision changed between `old` and `new` (missing cells count as denied)."""
    before = {c.key: c for c in old}
    after = {c.key: c for c in new}
    out: list[Change] = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        was = b.decision if b else None
        now = a.decision if a else None
        if was == now:
            continue
        was_ok, now_ok = was == "allowed", now == "allowed"
        kind = "added" if now_ok and not was_ok else "removed" if was_ok and not now_ok else "changed"
        ref = a or b
        assert ref is not None
        out.append(Change(kind, key[0], ref.service, key[1], key[2], was, now, ref.deciding))
    return out
