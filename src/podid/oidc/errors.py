"""Typed errors of the token issuer/verifier.

Verification raises exactly two kinds of failure so that each caller can map them onto its own
wire error codes without parsing messages:

* :class:`InvalidTokenError` - anything forged, malformed, for someone else, or not yet valid.
  EKS Auth answers ``InvalidTokenException``; STS ``InvalidIdentityToken``.
* :class:`ExpiredTokenError` - a genuine, correctly signed token whose ``exp`` has passed.
  EKS Auth answers ``ExpiredTokenException``; STS ``ExpiredTokenException``.

Expiry is only ever reported after the signature, issuer and audience checked out: a forged
token that also happens to be expired is *invalid*, never *expired*.
"""

from __future__ import annotations


class TokenError(Exception):
    """Base class of token verification failures; ``reason`` is a short human message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidTokenError(TokenError):
    """The token is malformed, forged, not for this issuer/audience, or not yet valid."""


class ExpiredTokenError(TokenError):
    """The token is authentic but its ``exp`` (plus leeway) is in the past."""


class JWKSFetchError(Exception):
    """The JWKS (or discovery document) of an external issuer could not be fetched or parsed.

    STS maps this to ``IDPCommunicationError``.
    """
