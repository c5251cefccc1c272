"""AWS-format identifiers: unique ids (AIDA/AROA/ANPA/AKIA + 16 base32 chars) and secret keys."""

from __future__ import annotations

import base64
import hashlib
import secrets
import string

_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"

USER_PREFIX = "AIDA"
ROLE_PREFIX = "AROA"
POLICY_PREFIX = "ANPA"
ACCESS_KEY_PREFIX = "AKIA"


def new_id(prefix: str) -> str:
    """A random id in AWS's format: `prefix` + 16 uppercase base32 characters."""
    return prefix + "".join(secrets.choice(_B32) for _ in range(16))


def stable_id(prefix: str, seed: str) -> str:
    """A deterministic id for `seed` (used for AWS managed policies, which have fixed ids)."""
    digest = hashlib.sha256(seed.encode()).digest()
    return prefix + base64.b32encode(digest).decode()[:16]


def new_secret() -> str:
    """A 40-character secret access key."""
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))
