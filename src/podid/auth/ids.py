"""AWS-shaped identifiers: access key ids and unique ids (AKIA/ASIA/AIDA/AROA + 16 base32 chars)."""

from __future__ import annotations

import base64
import secrets

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def random_id(prefix: str, length: int = 16) -> str:
    """``prefix`` + ``length`` random characters of AWS's id alphabet (upper-case base32)."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def access_key_id(temporary: bool = False) -> str:
    """A new access key id: ``AKIA...`` (long-term) or ``ASIA...`` (temporary)."""
    return random_id("ASIA" if temporary else "AKIA")


def secret_access_key() -> str:
    """A new 40-character secret access key."""
    return base64.b64encode(secrets.token_bytes(30)).decode()


def is_long_term(akid: str) -> bool:
    return akid.startswith("AKIA") and len(akid) == 20


def is_temporary(akid: str) -> bool:
    return akid.startswith("ASIA") and len(akid) == 20
