"""Token verification for EKS Auth (AssumeRoleForPodIdentity), STS (AssumeRoleWithWebIdentity)
and TokenReview.

:func:`verify_token` rejects everything not minted by the issuer for this audience: ``alg`` other
than the allowed asymmetric ones (``none``, ``HS256`` with the RSA public key as secret, ...),
unknown ``kid``, a key of another issuer, wrong ``aud``/``iss``, ``nbf``/``iat`` in the future,
tampered segments, non-integer times, duplicate JSON members, ``crit`` headers, tokens over 20000
characters and missing claims. Embedded key headers (``jwk``, ``jku``, ``x5u``, ``x5c``) are never
used. The signature is checked before any claim, and expiry last, so only an authentic token for
this issuer and audience can come out as :class:`ExpiredTokenError`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import jwt
from jwt import PyJWK

from podid.oidc.errors import ExpiredTokenError, InvalidTokenError

MAX_TOKEN_CHARS = 20000  # STS: WebIdentityToken length 4..20000
DEFAULT_ALGORITHMS: tuple[str, ...] = ("RS256",)
STS_ALGORITHMS: tuple[str, ...] = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")
DEFAULT_LEEWAY = 60  # go-jose jwt.DefaultLeeway, as kube-apiserver validates

_SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")
_ASYMMETRIC = {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"}
_EC_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


class KeySource(Protocol):
    """Anything that yields candidate public keys for a ``kid`` (None = token has no kid)."""

    def verification_keys(self, kid: str | None, now: int) -> list[PyJWK]: ...


class StaticJWKS:
    """A :class:`KeySource` over a JWKS document (``{"keys": [...]}``)."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self.keys = parse_jwks(jwks)

    def verification_keys(self, kid: str | None, now: int) -> list[PyJWK]:
        return [k for k in self.keys if kid is None or k.key_id == kid]


def parse_jwks(jwks: Mapping[str, Any]) -> list[PyJWK]:
    """Signature keys of a JWKS; entries that are unusable or not for signing are skipped."""
    entries = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(entries, list):
        raise ValueError("JWKS has no 'keys' list")
    out: list[PyJWK] = []
    for entry in entries:
        if not isinstance(entry, Mapping) or entry.get("use", "sig") != "sig":
            continue
        if entry.get("kty") not in ("RSA", "EC") or any(p in entry for p in ("d", "p", "q", "k")):
            continue  # only public asymmetric keys; never a symmetric or private key
        try:
            out.append(PyJWK(dict(entry)))
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            continue
    return out


@dataclass(frozen=True)
class Claims:
    """The verified claims. Kubernetes fields are None for non-Kubernetes tokens."""

    issuer: str
    subject: str
    audiences: tuple[str, ...]
    issued_at: int
    expires_at: int
    not_before: int | None
    kid: str | None
    algorithm: str
    namespace: str | None = None
    service_account_name: str | None = None
    service_account_uid: str | None = None
    pod_name: str | None = None
    pod_uid: str | None = None
    node_name: str | None = None
    node_uid: str | None = None
    jti: str | None = None
    warn_after: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise InvalidTokenError(f"duplicate JSON member {key!r}")
        out[key] = value
    return out


def _b64json(segment: str, what: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except InvalidTokenError:
        raise
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidTokenError(f"token {what} is not valid base64url JSON") from exc
    if not isinstance(value, dict):
        raise InvalidTokenError(f"token {what} is not a JSON object")
    return value


def _int_claim(claims: Mapping[str, Any], name: str, required: bool) -> int | None:
    if name not in claims:
        if required:
            raise InvalidTokenError(f"token has no {name!r} claim")
        return None
    value = claims[name]
    if type(value) is not int:  # bool, float and str are all rejected
        raise InvalidTokenError(f"{name!r} claim must be an integer")
    return value


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidTokenError(f"{what} must be a non-empty string")
    return value


def _ref(obj: Any, what: str) -> tuple[str, str]:
    if not isinstance(obj, Mapping):
        raise InvalidTokenError(f"kubernetes.io {what} must be an object")
    name = _str(obj.get("name"), f"kubernetes.io {what}.name")
    return name, _str(obj.get("uid"), f"kubernetes.io {what}.uid")


def _key_fits(key: PyJWK, alg: str) -> bool:
    """Whether ``key`` may verify an ``alg`` signature (type, curve and any declared ``alg``)."""
    data: Mapping[str, Any] = getattr(key, "_jwk_data", {})
    declared = data.get("alg")
    if declared is not None and declared != alg:
        return False
    if alg.startswith(("RS", "PS")):
        return key.key_type == "RSA"
    if alg.startswith("ES"):
        return key.key_type == "EC" and data.get("crv") == _EC_CURVES[alg]
    return False


def _verify_signature(token: str, alg: str, candidates: Sequence[PyJWK]) -> None:
    jws = jwt.PyJWS(algorithms=[alg])
    for key in candidates:
        try:
            jws.decode_complete(token, key.key, algorithms=[alg])
            return
        except jwt.InvalidSignatureError:
            continue
        except (jwt.DecodeError, jwt.InvalidKeyError, jwt.InvalidAlgorithmError) as exc:
            raise InvalidTokenError(f"token could not be verified: {exc}") from exc
    raise InvalidTokenError("token signature is invalid")


def verify_token(
    token: str,
    keys: KeySource,
    issuer: str,
    audience: str | Sequence[str],
    now: int | None = None,
    leeway: int = DEFAULT_LEEWAY,
    *,
    algorithms: Sequence[str] = DEFAULT_ALGORITHMS,
    kubernetes: bool = True,
) -> Claims:
    """Verify ``token`` against ``keys`` and return its claims, or raise a :class:`TokenError`.

    ``audience``: one accepted audience, or several (the token must name at least one).
    ``kubernetes``: require the ServiceAccount claim structure (``kubernetes.io``, ``nbf``, and
    ``sub`` consistent with it); pass False for arbitrary OIDC tokens (STS web identity).
    """
    now = int(time.time()) if now is None else int(now)
    allowed = set(algorithms)
    if not allowed or not allowed <= _ASYMMETRIC:
        raise ValueError("algorithms must be a non-empty set of asymmetric JWS algorithms")
    accepted = {audience} if isinstance(audience, str) else set(audience)
    if not accepted:
        raise ValueError("at least one accepted audience is required")

    if not isinstance(token, str) or not token:
        raise InvalidTokenError("token is empty")
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidTokenError(f"token is longer than {MAX_TOKEN_CHARS} characters")
    parts = token.split(".")
    if len(parts) != 3 or not all(_SEGMENT.match(p) for p in parts):
        raise InvalidTokenError("token is not a compact JWS")
    header = _b64json(parts[0], "header")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in allowed:
        raise InvalidTokenError(f"token algorithm {alg!r} is not allowed")
    if "crit" in header:
        raise InvalidTokenError("token has unsupported critical header parameters")
    kid = header.get("kid")
    if kid is not None and (not isinstance(kid, str) or not kid):
        raise InvalidTokenError("token kid must be a string")
    payload = _b64json(parts[1], "payload")  # parse before the signature: malformed is malformed

    candidates = [k for k in keys.verification_keys(kid, now) if _key_fits(k, alg)]
    if not candidates:
        raise InvalidTokenError("no key of the issuer matches the token's kid" if kid else
                                "no key of the issuer matches the token")
    _verify_signature(token, alg, candidates)

    iss = _str(payload.get("iss"), "'iss' claim")
    if iss != issuer:
        raise InvalidTokenError("token issuer does not match")
    aud = payload.get("aud")
    auds: tuple[str, ...]
    if isinstance(aud, str) and aud:
        auds = (aud,)
    elif isinstance(aud, list) and aud and all(isinstance(a, str) and a for a in aud):
        auds = tuple(aud)
    else:
        raise InvalidTokenError("'aud' claim must be a string or a non-empty list of strings")
    if not accepted & set(auds):
        raise InvalidTokenError("token audience does not match")
    sub = _str(payload.get("sub"), "'sub' claim")
    exp = _int_claim(payload, "exp", True)
    iat = _int_claim(payload, "iat", True)
    nbf = _int_claim(payload, "nbf", kubernetes)
    assert exp is not None and iat is not None
    if exp <= iat:
        raise InvalidTokenError("token expires before it was issued")
    jti = payload.get("jti")
    if jti is not None:
        jti = _str(jti, "'jti' claim")

    k8s_fields: dict[str, Any] = {}
    if kubernetes:
        k8s = payload.get("kubernetes.io")
        if not isinstance(k8s, Mapping):
            raise InvalidTokenError("token has no 'kubernetes.io' claim")
        namespace = _str(k8s.get("namespace"), "kubernetes.io namespace")
        sa_name, sa_uid = _ref(k8s.get("serviceaccount"), "serviceaccount")
        if sub != f"system:serviceaccount:{namespace}:{sa_name}":
            raise InvalidTokenError("'sub' claim does not match the kubernetes.io service account")
        k8s_fields = {"namespace": namespace, "service_account_name": sa_name,
                      "service_account_uid": sa_uid}
        if "pod" in k8s:
            k8s_fields["pod_name"], k8s_fields["pod_uid"] = _ref(k8s["pod"], "pod")
        if "node" in k8s:
            k8s_fields["node_name"], k8s_fields["node_uid"] = _ref(k8s["node"], "node")
        k8s_fields["warn_after"] = _int_claim(k8s, "warnafter", False)

    if nbf is not None and nbf > now + leeway:
        raise InvalidTokenError("token is not valid yet (nbf)")
    if iat > now + leeway:
        raise InvalidTokenError("token was issued in the future (iat)")
    if now >= exp + leeway:
        raise ExpiredTokenError("token has expired")

    return Claims(
        issuer=iss, subject=sub, audiences=auds, issued_at=iat, expires_at=exp, not_before=nbf,
        kid=kid, algorithm=alg, jti=jti, raw=payload, **k8s_fields,
    )
