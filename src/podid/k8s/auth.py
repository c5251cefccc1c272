"""Authentication of API requests: an ``Authenticator`` maps a bearer token to a user (or None)."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class UserInfo:
    """The authenticated user (``system:serviceaccount:ns:sa`` for ServiceAccount tokens)."""

    username: str
    uid: str = ""
    groups: tuple[str, ...] = ("system:authenticated",)
    extra: Mapping[str, Sequence[str]] = field(default_factory=dict)


Authenticator = Callable[[str], "UserInfo | None"]
"""``authenticator(bearer_token) -> UserInfo | None`` (None: 401 Unauthorized)."""


def static_token_authenticator(tokens: Mapping[str, UserInfo]) -> Authenticator:
    """Accept exactly the given tokens (compared in constant time)."""
    items = list(tokens.items())

    def authenticate(token: str) -> UserInfo | None:
        for known, user in items:
            if hmac.compare_digest(known.encode(), token.encode()):
                return user
        return None

    return authenticate


def admin_user(name: str = "podid-admin") -> UserInfo:
    return UserInfo(username=name, groups=("system:masters", "system:authenticated"))
