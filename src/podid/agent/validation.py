"""Request validation (mirrors `internal/validation/request.go`).

Two checks, in the real agent's order: the Host the pod called must be one of the addresses the
agent serves (403 otherwise), then the token must be a parseable JWT whose time claims are valid
now. The signature is *not* checked here: EKS Auth does that. Messages follow golang-jwt v5
(`ParseUnverified` + `NewValidator().Validate`) so error bodies read like the real agent's.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from podid.agent.errors import AccessDeniedError, RequestValidationError

#: `alg` values golang-jwt knows (`GetSigningMethod`); any other value is "unavailable".
KNOWN_ALGS = frozenset(
    {
        "HS256",
        "HS384",
        "HS512",
        "RS256",
        "RS384",
        "RS512",
        "ES256",
        "ES384",
        "ES512",
        "PS256",
        "PS384",
        "PS512",
        "EdDSA",
        "none",
    }
)
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def request_host(host_header: str) -> str:
    """The Host header without port and IPv6 brackets (`[::1]:2703` -> `::1`), like the Go agent."""
    host = host_header
    if host.startswith("["):
        end = host.find("]")
        if end != -1 and host[end + 1 : end + 2] == ":":
            host = host[: end + 1]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    if len(host) > 1 and host[0] == "[" and host[-1] == "]":
        host = host[1:-1]
    return host


def validate_target_host(host_header: str, allowed: Sequence[str]) -> None:
    """Raise 403 unless the Host header names one of `allowed` (bare addresses, no brackets)."""
    host = request_host(host_header)
    if host in allowed:
        return
    raise AccessDeniedError(
        f"Called agent through invalid address, please use either [{' '.join(allowed)}] address not {host}"
    )


class _Malformed(Exception):
    """golang-jwt ErrTokenMalformed / ErrTokenUnverifiable, message already prefixed."""


def _decode_segment(seg: str, what: str) -> bytes:
    match = _B64URL.match(seg)
    bad = match.end() if match else 0
    if bad < len(seg) or len(seg) % 4 == 1:
        pos = bad if bad < len(seg) else len(seg) - 1
        raise _Malformed(
            f"token is malformed: could not base64 decode {what}: illegal base64 data at input byte {pos}"
        )
    try:
        return base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - regex already guards
        raise _Malformed(f"token is malformed: could not base64 decode {what}: {exc}") from None


def _json_object(raw: bytes, what: str, go_type: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _Malformed(f"token is malformed: could not JSON decode {what}: {exc}") from None
    if not isinstance(value, dict):
        kind = {list: "array", str: "string", bool: "bool", type(None): "null"}.get(type(value), "number")
        raise _Malformed(
            f"token is malformed: could not JSON decode {what}: "
            f"json: cannot unmarshal {kind} into Go value of type {go_type}"
        )
    return value


def _check_claim_types(claims: dict[str, Any]) -> None:
    """Registered claims must decode into jwt.RegisteredClaims (numbers, strings, string lists)."""
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise _Malformed(
                f"token is malformed: could not JSON decode claim: json: cannot unmarshal "
                f"{type(value).__name__} into Go struct field RegisteredClaims.{name} of type jwt.NumericDate"
            )
    for name in ("iss", "sub", "jti"):
        value = claims.get(name)
        if value is not None and not isinstance(value, str):
            raise _Malformed(
                f"token is malformed: could not JSON decode claim: json: cannot unmarshal "
                f"{type(value).__name__} into Go struct field RegisteredClaims.{name} of type string"
            )
    aud = claims.get("aud")
    if aud is not None and not (
        isinstance(aud, str) or (isinstance(aud, list) and all(isinstance(a, str) for a in aud))
    ):
        raise _Malformed("token is malformed: could not JSON decode claim: invalid type for claim")


def parse_unverified(token: str) -> dict[str, Any]:
    """The token's claims, without signature check; raises 400 `cannot be parsed` when malformed."""
    try:
        parts = token.split(".")
        if len(parts) != 3:
            raise _Malformed("token is malformed: token contains an invalid number of segments")
        try:
            header_raw = _decode_segment(parts[0], "header")
        except _Malformed:
            if token.lower().startswith("bearer "):
                raise _Malformed("token is malformed: tokenstring should not contain 'bearer '") from None
            raise
        header = _json_object(header_raw, "header", "map[string]interface {}")
        claims = _json_object(_decode_segment(parts[1], "claim"), "claim", "jwt.RegisteredClaims")
        _check_claim_types(claims)
        alg = header.get("alg")
        if not isinstance(alg, str):
            raise _Malformed("token is unverifiable: signing method (alg) is unspecified")
        if alg not in KNOWN_ALGS:
            raise _Malformed("token is unverifiable: signing method (alg) is unavailable")
    except _Malformed as exc:
        raise RequestValidationError(f"Service account token cannot be parsed: {exc}") from None
    return claims


def validate_claims(claims: dict[str, Any], now: float, *, verify_iat: bool = False) -> None:
    """exp/nbf (and, if asked, iat) against `now`, no leeway; errors joined with ", " like Go."""
    errors: list[str] = []
    exp = claims.get("exp")
    if exp is not None and not now < exp:
        errors.append("token is expired")
    nbf = claims.get("nbf")
    if nbf is not None and now < nbf:
        errors.append("token is not valid yet")
    iat = claims.get("iat")
    if verify_iat and iat is not None and now < iat:
        errors.append("token used before issued")
    if errors:
        raise RequestValidationError(
            f"Service account token failed basic claim validations: {', '.join(errors)}"
        )


def validate_token(
    token: str, *, now: Callable[[], float] = time.time, verify_iat: bool = False
) -> dict[str, Any]:
    """Empty / parse / basic-claims checks in order; returns the (unverified) claims."""
    if token == "":
        raise RequestValidationError("Service account token cannot be empty")
    claims = parse_unverified(token)
    validate_claims(claims, now(), verify_iat=verify_iat)
    return claims
