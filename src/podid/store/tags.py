"""Tag list arithmetic shared by users, roles, policies and OIDC providers."""

from __future__ import annotations

from podid.store import errors
from podid.store.records import Tags

MAX_TAGS = 50


def merge_tags(existing: Tags, add: Tags, remove: list[str], quota: str) -> Tags:
    """`existing` with `add` set (overwriting same keys, case-insensitively) and `remove` keys dropped."""
    out = {t["Key"].lower(): dict(t) for t in existing}
    for t in add:
        out[t["Key"].lower()] = {"Key": t["Key"], "Value": t.get("Value", "")}
    for k in remove:
        out.pop(k.lower(), None)
    if len(out) > MAX_TAGS:
        raise errors.LimitExceeded(f"Cannot exceed quota for {quota}: {MAX_TAGS}")
    return list(out.values())
