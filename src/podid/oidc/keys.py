"""Issuer signing keys: RS256 (2048-bit RSA) keys with kid, lifetimes, rotation and records.

An :class:`IssuerKeys` is an immutable value: ``rotate``/``prune`` return a new one, so a caller
can persist it (``to_record()``) and swap it in atomically. Exactly one key is *active* (signs new
tokens). Rotation retires the active key: it stops signing but stays published in the JWKS until
``not_after = retired_at + max_token_seconds`` - by then every token it signed has expired,
because :func:`podid.oidc.tokens.issue_token` refuses lifetimes above ``max_token_seconds``.

Key ids: Kubernetes derives ``kid`` as base64url(SHA-256(DER SubjectPublicKeyInfo))
(``keyIDFromPublicKey`` in kubernetes ``pkg/serviceaccount/jwt.go``); RFC 7638 JWK thumbprints
are also offered (``kid_scheme="rfc7638"``). Both are 43 base64url characters and opaque to
verifiers; the default is the Kubernetes scheme (see docs/decisions.md).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt import PyJWK

KidScheme = Literal["kubernetes", "rfc7638"]

RSA_BITS = 2048
RSA_EXPONENT = 65537
DEFAULT_MAX_TOKEN_SECONDS = 86400  # EKS caps projected token lifetimes at 24 h
DEFAULT_ROTATE_EVERY = 7 * 86400  # EKS rotates the OIDC signing key every 7 days
RECORD_VERSION = 1


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JOSE uses it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64url(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def kid_kubernetes(public_key: rsa.RSAPublicKey) -> str:
    """Kubernetes' key id: base64url(SHA-256(DER SubjectPublicKeyInfo))."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return b64url(hashlib.sha256(der).digest())


def kid_rfc7638(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256) of an RSA public key."""
    numbers = public_key.public_numbers()
    canonical = json.dumps(
        {"e": _int_b64url(numbers.e), "kty": "RSA", "n": _int_b64url(numbers.n)},
        separators=(",", ":"),
        sort_keys=True,
    )
    return b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def compute_kid(public_key: rsa.RSAPublicKey, scheme: KidScheme) -> str:
    """The key id of ``public_key`` under ``scheme``."""
    return kid_kubernetes(public_key) if scheme == "kubernetes" else kid_rfc7638(public_key)


def public_jwk(public_key: rsa.RSAPublicKey, kid: str) -> dict[str, str]:
    """The JWKS entry of a signing key: ``{kty, kid, use, alg, n, e}`` (EKS/Kubernetes order)."""
    numbers = public_key.public_numbers()
    return {
        "kty": "RSA",
        "kid": kid,
        "use": "sig",
        "alg": "RS256",
        "n": _int_b64url(numbers.n),
        "e": _int_b64url(numbers.e),
    }


@dataclass(frozen=True)
class SigningKey:
    """One RSA key pair of an issuer.

    ``created_at``: when generated. ``retired_at``: when it stopped signing (None = active).
    ``not_after``: after this instant it is no longer published nor accepted (None = active).
    Times are integer epoch seconds.
    """

    kid: str
    private_key: rsa.RSAPrivateKey = field(repr=False, compare=False)
    created_at: int
    retired_at: int | None = None
    not_after: int | None = None

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def published_at(self, now: int) -> bool:
        """True while the key belongs in the JWKS (and verifies tokens)."""
        return self.not_after is None or now < self.not_after

    def jwk(self) -> dict[str, str]:
        return public_jwk(self.public_key, self.kid)

    def private_pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")

    def public_pem(self) -> str:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    def to_record(self) -> dict[str, Any]:
        return {
            "kid": self.kid,
            "private_key_pem": self.private_pem(),
            "created_at": self.created_at,
            "retired_at": self.retired_at,
            "not_after": self.not_after,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> SigningKey:
        key = serialization.load_pem_private_key(record["private_key_pem"].encode("ascii"), password=None)
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < RSA_BITS:
            raise ValueError("issuer signing keys must be RSA keys of at least 2048 bits")
        return cls(
            kid=str(record["kid"]),
            private_key=key,
            created_at=int(record["created_at"]),
            retired_at=None if record.get("retired_at") is None else int(record["retired_at"]),
            not_after=None if record.get("not_after") is None else int(record["not_after"]),
        )


def generate_signing_key(now: int, kid_scheme: KidScheme = "kubernetes") -> SigningKey:
    """A fresh 2048-bit RSA signing key created at ``now``."""
    private_key = rsa.generate_private_key(public_exponent=RSA_EXPONENT, key_size=RSA_BITS)
    return SigningKey(kid=compute_kid(private_key.public_key(), kid_scheme), private_key=private_key,
                      created_at=now)


@dataclass(frozen=True)
class IssuerKeys:
    """The key set of one issuer (one cluster): the active key first, then retired ones."""

    keys: tuple[SigningKey, ...]
    max_token_seconds: int = DEFAULT_MAX_TOKEN_SECONDS
    kid_scheme: KidScheme = "kubernetes"

    def __post_init__(self) -> None:
        active = [k for k in self.keys if k.retired_at is None]
        if len(active) != 1 or self.keys[0] is not active[0]:
            raise ValueError("IssuerKeys needs exactly one active key, first in the tuple")
        kids = [k.kid for k in self.keys]
        if len(set(kids)) != len(kids):
            raise ValueError("duplicate kid in IssuerKeys")
        if self.max_token_seconds <= 0:
            raise ValueError("max_token_seconds must be positive")

    @classmethod
    def generate(
        cls,
        now: int,
        *,
        max_token_seconds: int = DEFAULT_MAX_TOKEN_SECONDS,
        kid_scheme: KidScheme = "kubernetes",
    ) -> IssuerKeys:
        return cls((generate_signing_key(now, kid_scheme),), max_token_seconds, kid_scheme)

    @property
    def active(self) -> SigningKey:
        return self.keys[0]

    def published(self, now: int) -> list[SigningKey]:
        """Keys that belong in the JWKS at ``now`` (active + retired still in their overlap)."""
        return [k for k in self.keys if k.published_at(now)]

    def find(self, kid: str, now: int) -> SigningKey | None:
        for key in self.keys:
            if key.kid == kid and key.published_at(now):
                return key
        return None

    def jwks(self, now: int) -> dict[str, list[dict[str, str]]]:
        """The JWKS document ``{"keys": [...]}`` served at ``<issuer>/keys``."""
        return {"keys": [k.jwk() for k in self.published(now)]}

    def verification_keys(self, kid: str | None, now: int) -> list[PyJWK]:
        """:class:`podid.oidc.verify.KeySource` implementation."""
        keys = self.published(now)
        if kid is not None:
            keys = [k for k in keys if k.kid == kid]
        return [PyJWK(k.jwk()) for k in keys]

    def rotate(self, now: int) -> IssuerKeys:
        """A new active key; the old one retires and stays published for ``max_token_seconds``."""
        old = replace(self.active, retired_at=now, not_after=now + self.max_token_seconds)
        new = generate_signing_key(now, self.kid_scheme)
        return replace(self, keys=(new, old, *self.keys[1:])).prune(now)

    def needs_rotation(self, now: int, every: int = DEFAULT_ROTATE_EVERY) -> bool:
        return now - self.active.created_at >= every

    def rotate_if_due(self, now: int, every: int = DEFAULT_ROTATE_EVERY) -> IssuerKeys:
        return self.rotate(now) if self.needs_rotation(now, every) else self.prune(now)

    def prune(self, now: int) -> IssuerKeys:
        """Drop retired keys whose overlap window is over."""
        kept = tuple(k for k in self.keys if k.published_at(now))
        return self if len(kept) == len(self.keys) else replace(self, keys=kept)

    def to_record(self) -> dict[str, Any]:
        """A JSON-serialisable dict (PEM private keys inside: store it as a secret)."""
        return {
            "version": RECORD_VERSION,
            "max_token_seconds": self.max_token_seconds,
            "kid_scheme": self.kid_scheme,
            "keys": [k.to_record() for k in self.keys],
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> IssuerKeys:
        if record.get("version") != RECORD_VERSION:
            raise ValueError(f"unsupported IssuerKeys record version {record.get('version')!r}")
        scheme = record.get("kid_scheme", "kubernetes")
        if scheme not in ("kubernetes", "rfc7638"):
            raise ValueError(f"unknown kid_scheme {scheme!r}")
        keys = tuple(SigningKey.from_record(k) for k in record["keys"])
        for key in keys:
            if compute_kid(key.public_key, scheme) != key.kid:
                raise ValueError(f"kid {key.kid!r} does not match its key")
        return cls(keys, int(record["max_token_seconds"]), scheme)
