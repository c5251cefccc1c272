"""Observed calls of one role, read from the audit log.

Owns the selection: events of a session of the role (the CloudTrail `sessionIssuer`), at or after
`since`, and within them the IAM requests the call needed (`podid.authorizations`: action,
resource, request condition keys, outcome). Allowed requests and record mode's unenforced
denials count; requests that were denied and enforced count only with `include_denied`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_RELATIVE = re.compile(r"\A(\d+)([smhdw])\Z")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class Observation:
    """One IAM request a call of the role made."""

    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)
    decision: str = "allowed"
    event_time: str = ""
    event_name: str = ""  # the operation that needed it ("GetObject" for a missing key's ListBucket)


def parse_since(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """`30m`, `2h`, `7d`, `1w` (ago) or an ISO 8601 time (UTC when no offset); ValueError otherwise."""
    now = now or dt.datetime.now(dt.UTC)
    m = _RELATIVE.match(text.strip())
    if m:
        return now - dt.timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])
    parsed = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _issuer(event: Mapping[str, Any]) -> Mapping[str, Any]:
    ident = event.get("userIdentity") or {}
    return (ident.get("sessionContext") or {}).get("sessionIssuer") or {}


def role_matches(event: Mapping[str, Any], role: str) -> bool:
    """Whether the event's caller is a session of `role` (a role ARN or name)."""
    issuer = _issuer(event)
    if issuer.get("type") != "Role":
        return False
    return bool(issuer.get("arn") == role or issuer.get("userName") == role)


def _time(event: Mapping[str, Any]) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(str(event.get("eventTime")), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def events(path: Path) -> Iterator[dict[str, Any]]:
    """The audit log's events (lines that are not JSON objects are skipped)."""
    with path.open("r", encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(event, dict):
                yield event


def observations(
    path: Path, role: str, since: dt.datetime, *, include_denied: bool = False
) -> tuple[list[Observation], int]:
    """The role's observed requests since `since`, and how many of its events carried none."""
    out: list[Observation] = []
    without = 0
    for event in events(path):
        if not role_matches(event, role):
            continue
        when = _time(event)
        if when is None or when < since:
            continue
        podid = event.get("podid") or {}
        items = podid.get("authorizations")
        if not items:
            without += 1
            continue
        unenforced = podid.get("enforced") is False
        for item in items:
            decision = str(item.get("decision", ""))
            if decision != "allowed" and not (unenforced or include_denied):
                continue
            out.append(
                Observation(
                    str(item["action"]),
                    str(item["resource"]),
                    dict(item.get("context") or {}),
                    decision,
                    str(event.get("eventTime", "")),
                    str(event.get("eventName", "")),
                )
            )
    return out, without
