"""The token issuer used by TokenRequest (``serviceaccounts/<sa>/token``) and TokenReview.

:class:`TokenIssuer` is the interface; :class:`OidcTokenIssuer` implements it with ``podid.oidc``
(RS256 keys, Kubernetes-shaped claims, verification).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from podid.oidc.keys import IssuerKeys


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: int  # unix seconds


@dataclass(frozen=True)
class ReviewedToken:
    """A verified ServiceAccount token."""

    namespace: str
    service_account: str
    service_account_uid: str
    audiences: tuple[str, ...]
    pod_name: str | None = None
    pod_uid: str | None = None


class TokenIssuer(Protocol):
    """Issues and verifies ServiceAccount tokens for one cluster."""

    @property
    def api_audiences(self) -> tuple[str, ...]:
        """The audiences used when a TokenRequest names none (the API server's own)."""
        ...

    def issue(
        self,
        namespace: str,
        sa_name: str,
        sa_uid: str,
        audiences: Sequence[str],
        expiration_seconds: int,
        pod: tuple[str, str] | None = None,
    ) -> IssuedToken: ...

    def review(self, token: str, audiences: Sequence[str]) -> ReviewedToken:
        """Verify ``token``; raise ``ValueError(reason)`` when it is not valid."""
        ...


class OidcTokenIssuer:
    """TokenIssuer over ``podid.oidc`` signing keys for ``issuer`` (the cluster's OIDC issuer URL)."""

    def __init__(
        self,
        keys: IssuerKeys,
        issuer: str,
        api_audiences: Sequence[str] = ("https://kubernetes.default.svc",),
    ) -> None:
        self._keys = keys
        self.issuer = issuer
        self._api_audiences = tuple(api_audiences)

    @property
    def api_audiences(self) -> tuple[str, ...]:
        return self._api_audiences

    def issue(
        self,
        namespace: str,
        sa_name: str,
        sa_uid: str,
        audiences: Sequence[str],
        expiration_seconds: int,
        pod: tuple[str, str] | None = None,
    ) -> IssuedToken:
        from podid.oidc.tokens import issue_token

        now = int(time.time())
        seconds = min(expiration_seconds, int(getattr(self._keys, "max_token_seconds", expiration_seconds)))
        token = issue_token(
            self._keys,
            self.issuer,
            namespace,
            sa_name,
            sa_uid,  # type: ignore[arg-type]
            list(audiences),
            seconds,
            pod,
            now,
            jti=str(uuid.uuid4()),
        )
        return IssuedToken(token, now + seconds)

    def review(self, token: str, audiences: Sequence[str]) -> ReviewedToken:
        from podid.oidc.errors import TokenError
        from podid.oidc.verify import verify_token

        try:
            claims = verify_token(
                token,
                self._keys,
                self.issuer,  # type: ignore[arg-type]
                list(audiences or self._api_audiences),
            )
        except TokenError as exc:
            raise ValueError(exc.reason) from exc
        return ReviewedToken(
            claims.namespace or "",
            claims.service_account_name or "",
            claims.service_account_uid or "",
            claims.audiences,
            claims.pod_name,
            claims.pod_uid,
        )
