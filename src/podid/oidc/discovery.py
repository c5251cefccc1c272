"""Issuer URLs and the OIDC documents an issuer publishes.

* EKS form: ``https://oidc.eks.<region>.amazonaws.com/id/<32 upper-case hex>``.
* Local form: ``http://127.0.0.1:<port>/clusters/<name>/oidc`` (any URL works: it is a parameter).

The discovery document is exactly what EKS serves (field order included):
``issuer, jwks_uri, authorization_endpoint, response_types_supported, subject_types_supported,
claims_supported, id_token_signing_alg_values_supported``; ``jwks_uri`` is ``<issuer>/keys``.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlsplit

KEYS_SUFFIX = "/keys"
DISCOVERY_PATH = "/.well-known/openid-configuration"
_EKS_ISSUER = re.compile(r"^https://oidc\.eks\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/id/([0-9A-F]{32})$")


def new_oidc_id() -> str:
    """A fresh 32-hex-digit issuer id, upper case as EKS prints it."""
    return secrets.token_hex(16).upper()


def eks_issuer_url(region: str, oidc_id: str) -> str:
    """``https://oidc.eks.<region>.amazonaws.com/id/<id>`` (``.com.cn`` for China regions)."""
    if not re.fullmatch(r"[0-9A-F]{32}", oidc_id):
        raise ValueError("oidc_id must be 32 upper-case hex digits")
    suffix = ".com.cn" if region.startswith("cn-") else ".com"
    return f"https://oidc.eks.{region}.amazonaws{suffix}/id/{oidc_id}"


def parse_eks_issuer(issuer: str) -> tuple[str, str] | None:
    """``(region, id)`` of an EKS-form issuer URL, else None."""
    match = _EKS_ISSUER.match(issuer)
    return (match.group(1), match.group(3)) if match else None


def jwks_uri(issuer: str) -> str:
    return issuer.rstrip("/") + KEYS_SUFFIX


def issuer_path(issuer: str) -> str:
    """The URL path of an issuer, without a trailing slash ('' for a bare host)."""
    return urlsplit(issuer).path.rstrip("/")


def provider_url(issuer: str) -> str:
    """The IAM OIDC provider Url / condition-key prefix of an issuer: host[/path], no scheme."""
    parts = urlsplit(issuer)
    return (parts.netloc + parts.path).rstrip("/")


def discovery_document(issuer: str) -> dict[str, Any]:
    """``<issuer>/.well-known/openid-configuration`` as EKS serves it."""
    issuer = issuer.rstrip("/")
    return {
        "issuer": issuer,
        "jwks_uri": jwks_uri(issuer),
        "authorization_endpoint": "urn:kubernetes:programmatic_authorization",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "claims_supported": ["sub", "iss"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }
