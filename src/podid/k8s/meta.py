"""Object metadata helpers: timestamps, uids, generateName, and resourceVersion parsing."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

from podid.k8s.errors import bad_request

_GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def now_rfc3339() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def new_uid() -> str:
    return str(uuid.uuid4())


def random_suffix(n: int = 5) -> str:
    return "".join(secrets.choice(_GENERATE_ALPHABET) for _ in range(n))


def metadata(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
        obj["metadata"] = meta
    return meta


def parse_rv(value: Any) -> int | None:
    """``None`` for an absent/empty resourceVersion; BadRequest for a non-numeric one."""
    if value in (None, ""):
        return None
    try:
        rv = int(str(value))
    except ValueError as exc:
        raise bad_request(f'resourceVersion: Invalid value: "{value}": must be a valid integer') from exc
    if rv < 0:
        raise bad_request(f'resourceVersion: Invalid value: "{value}": must be non-negative')
    return rv


def prepare_new(obj: dict[str, Any], namespace: str | None) -> dict[str, Any]:
    """Server-set metadata of a new object (uid, creationTimestamp, generation, generateName)."""
    meta = metadata(obj)
    if not meta.get("name") and meta.get("generateName"):
        meta["name"] = f"{meta['generateName']}{random_suffix()}"
    if namespace is not None:
        meta["namespace"] = namespace
    else:
        meta.pop("namespace", None)
    meta["uid"] = new_uid()
    meta["creationTimestamp"] = now_rfc3339()
    for key in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
        meta.pop(key, None)
    return obj
