"""The tag condition keys of a request, built one way for every service.

``aws:RequestTag/<key>`` (one per tag the request carries) and ``aws:TagKeys`` (multivalued: the
keys) describe tags being set; ``aws:ResourceTag/<key>`` those a resource already has. A request
without tags has none of these keys (so ``Null`` conditions see them absent).
"""

from __future__ import annotations

from collections.abc import Mapping

ContextValue = str | list[str]


def request_tag_keys(tags: Mapping[str, str] | None) -> dict[str, ContextValue]:
    """``aws:RequestTag/*`` and ``aws:TagKeys`` for a request setting ``tags`` ({} when none)."""
    if not tags:
        return {}
    keys: dict[str, ContextValue] = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    keys["aws:TagKeys"] = list(tags)
    return keys


def tag_keys(tags: Mapping[str, str], prefix: str = "aws:ResourceTag/") -> dict[str, ContextValue]:
    """``<prefix><key>`` per tag: ``aws:ResourceTag/`` by default, or a service's own family
    (``s3:ExistingObjectTag/``, ``s3:RequestObjectTag/``, ``secretsmanager:ResourceTag/``)."""
    return {f"{prefix}{k}": v for k, v in tags.items()}
