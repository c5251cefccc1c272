"""ServiceAccount token issuance, byte-for-byte in the shape Kubernetes writes projected tokens.

Header ``{"alg":"RS256","kid":"..."}`` (no ``typ``). Payload (go-jose normalises claims through a
map, so keys come out sorted at every level)::

    {"aud":[...],"exp":N,"iat":N,"iss":"...","jti":"...",
     "kubernetes.io":{"namespace":"ns","node":{...},"pod":{"name":..,"uid":..},
                      "serviceaccount":{"name":..,"uid":..},"warnafter":N},
     "nbf":N,"sub":"system:serviceaccount:ns:sa"}

``jti``, ``node`` and ``warnafter`` appear only when given (kubernetes ``pkg/serviceaccount/claims.go``).
:func:`token_request_lifetime` reproduces the TokenRequest rules that decide ``exp`` and
``warnafter`` (cap to the maximum; the 3607 s "warn-only" extension).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import jwt

from podid.oidc.keys import IssuerKeys

WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 60 * 60 + 7  # kubelet's default for kube-api-access
EXPIRATION_EXTENSION_SECONDS = 24 * 365 * 60 * 60
MIN_TOKEN_REQUEST_SECONDS = 600  # TokenRequest validation: "may not specify a duration less than 10 minutes"


def service_account_subject(namespace: str, name: str) -> str:
    """``system:serviceaccount:<namespace>:<name>``."""
    return f"system:serviceaccount:{namespace}:{name}"


def token_request_lifetime(
    requested_seconds: int,
    *,
    max_expiration_seconds: int,
    pod_bound: bool,
    audiences: Sequence[str],
    api_audiences: Sequence[str] = (),
    extend_expiration: bool = False,
    max_extended_expiration_seconds: int = EXPIRATION_EXTENSION_SECONDS,
) -> tuple[int, int | None]:
    """``(expiration_seconds, warn_after_seconds | None)`` as kube-apiserver's TokenREST decides.

    A request above the maximum is capped. With ``extend_expiration`` a pod-bound request for
    exactly 3607 s whose audiences are all the API server's own is extended to
    ``max_extended_expiration_seconds`` and gets ``warnafter`` at 3607 s; nothing else gets
    ``warnafter``.
    """
    if requested_seconds < MIN_TOKEN_REQUEST_SECONDS:
        raise ValueError("may not specify a duration less than 10 minutes")
    expiration = min(requested_seconds, max_expiration_seconds)
    if (
        extend_expiration
        and pod_bound
        and requested_seconds == WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS
        and audiences
        and set(audiences) <= set(api_audiences)
    ):
        return max_extended_expiration_seconds, WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS
    return expiration, None


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    return value


def build_claims(
    issuer: str,
    namespace: str,
    sa_name: str,
    sa_uid: str,
    audiences: Sequence[str],
    expiration_seconds: int,
    now: int,
    *,
    pod: tuple[str, str] | None = None,
    node: tuple[str, str] | None = None,
    jti: str | None = None,
    warn_after_seconds: int | None = None,
) -> dict[str, Any]:
    """The claim set of a projected ServiceAccount token (keys sorted like go-jose emits them)."""
    k8s: dict[str, Any] = {
        "namespace": namespace,
        "serviceaccount": {"name": sa_name, "uid": sa_uid},
    }
    if pod is not None:
        k8s["pod"] = {"name": pod[0], "uid": pod[1]}
    if node is not None:
        k8s["node"] = {"name": node[0], "uid": node[1]}
    if warn_after_seconds:
        k8s["warnafter"] = now + warn_after_seconds
    claims: dict[str, Any] = {
        "aud": list(audiences),
        "exp": now + expiration_seconds,
        "iat": now,
        "iss": issuer,
        "kubernetes.io": k8s,
        "nbf": now,
        "sub": service_account_subject(namespace, sa_name),
    }
    if jti is not None:
        claims["jti"] = jti
    return _sorted(claims)


def sign_claims(keys: IssuerKeys, claims: dict[str, Any]) -> str:
    """Sign a claim set with the active key: RS256, header ``{"alg","kid"}`` only."""
    return jwt.encode(
        claims,
        keys.active.private_key,
        algorithm="RS256",
        headers={"kid": keys.active.kid, "typ": None},
    )


def issue_token(
    keys: IssuerKeys,
    issuer: str,
    namespace: str,
    sa_name: str,
    sa_uid: str,
    audiences: Sequence[str],
    expiration_seconds: int,
    pod: tuple[str, str] | None = None,
    now: int | None = None,
    *,
    node: tuple[str, str] | None = None,
    jti: str | None = None,
    warn_after_seconds: int | None = None,
) -> str:
    """A signed projected ServiceAccount token (``pod`` = ``(name, uid)`` for pod-bound tokens).

    Raises ``ValueError`` for an empty audience list or a lifetime outside
    ``1..keys.max_token_seconds`` (the bound that makes key rotation overlap safe).
    """
    if not audiences or any(not isinstance(a, str) or not a for a in audiences):
        raise ValueError("audiences must be a non-empty list of non-empty strings")
    if not 0 < expiration_seconds <= keys.max_token_seconds:
        raise ValueError(
            f"expiration_seconds must be within 1..{keys.max_token_seconds} (the issuer's maximum)"
        )
    if not namespace or not sa_name:
        raise ValueError("namespace and service account name are required")
    issued_at = int(time.time()) if now is None else int(now)
    claims = build_claims(
        issuer, namespace, sa_name, sa_uid, audiences, expiration_seconds, issued_at,
        pod=pod, node=node, jti=jti, warn_after_seconds=warn_after_seconds,
    )
    return sign_claims(keys, claims)
