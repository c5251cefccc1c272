"""Long-term access keys: the look-up the authenticator needs, and an adapter to the store.

``podid.store.Store.get_access_key(akid)`` returns the store's own record; :func:`as_record`
reads it by attribute name (``secret_access_key``, ``status``, ``user_arn``/``arn``,
``user_id``, ``account``/``account_id``, ``user_name``) so the authenticator does not depend on
the store's classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class AccessKeyRecord:
    """A long-term access key and the IAM user it belongs to."""

    access_key_id: str
    secret_access_key: str
    user_arn: str
    user_id: str
    account: str
    user_name: str
    active: bool = True


class AccessKeyLookup(Protocol):
    """Anything with ``get_access_key(akid)`` (podid.store.Store)."""

    def get_access_key(self, akid: str) -> Any: ...


def _first(obj: Any, *names: str) -> Any:
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return None


def as_record(obj: Any) -> AccessKeyRecord | None:
    """Adapt the store's access-key record (dataclass, object or dict) to :class:`AccessKeyRecord`."""
    if obj is None:
        return None
    if isinstance(obj, AccessKeyRecord):
        return obj
    akid = _first(obj, "access_key_id", "akid")
    secret = _first(obj, "secret_access_key", "secret")
    account = _first(obj, "account", "account_id")
    name = _first(obj, "user_name", "username", "name")
    user = _first(obj, "user")
    if user is not None:
        name = name or _first(user, "name", "user_name")
    arn = _first(obj, "user_arn", "arn") or (_first(user, "arn") if user is not None else None)
    if arn is None and account and name:
        path = _first(obj, "path") or (_first(user, "path") if user is not None else None) or "/"
        arn = f"arn:aws:iam::{account}:user{path}{name}"
    user_id = _first(obj, "user_id") or (_first(user, "user_id", "id") if user is not None else None)
    status = str(_first(obj, "status") or "Active")
    if not (akid and secret and arn):
        return None
    if account is None:
        account = str(arn).split(":")[4]
    if name is None:
        name = str(arn).rsplit("/", 1)[-1]
    return AccessKeyRecord(str(akid), str(secret), str(arn), str(user_id or ""), str(account), str(name),
                           active=status.lower() == "active")


def lookup(store: AccessKeyLookup, akid: str) -> AccessKeyRecord | None:
    """The active-or-not record for ``akid`` from ``store``, or None."""
    return as_record(store.get_access_key(akid))
