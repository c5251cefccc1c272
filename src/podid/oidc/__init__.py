"""Per-cluster ServiceAccount token issuer: RS256 keys, JWKS, discovery, token issue/verify.

Public API (see docs/architecture.md and each module's docstring):

* keys: :class:`IssuerKeys`, :class:`SigningKey`, :func:`kid_kubernetes`, :func:`kid_rfc7638`
* storage: ``IssuerKeys.to_record()/from_record()``, :class:`FileKeyStore`
* issue: :func:`issue_token`, :func:`token_request_lifetime`
* verify: :func:`verify_token`, :class:`Claims`, :class:`StaticJWKS`, :class:`JWKSFetcher`,
  :class:`InvalidTokenError`, :class:`ExpiredTokenError`, :class:`JWKSFetchError`
* serve: :func:`discovery_document`, :func:`issuer_routes`, :func:`cluster_routes`,
  :func:`eks_issuer_url`, :func:`new_oidc_id`
"""

from podid.oidc.discovery import (
    discovery_document,
    eks_issuer_url,
    issuer_path,
    jwks_uri,
    new_oidc_id,
    parse_eks_issuer,
    provider_url,
)
from podid.oidc.errors import ExpiredTokenError, InvalidTokenError, JWKSFetchError, TokenError
from podid.oidc.jwks_fetch import JWKSFetcher, is_loopback_host
from podid.oidc.keys import IssuerKeys, SigningKey, kid_kubernetes, kid_rfc7638
from podid.oidc.keystore import FileKeyStore
from podid.oidc.routes import cluster_routes, issuer_routes
from podid.oidc.tokens import issue_token, service_account_subject, token_request_lifetime
from podid.oidc.verify import (
    DEFAULT_LEEWAY,
    MAX_TOKEN_CHARS,
    STS_ALGORITHMS,
    Claims,
    KeySource,
    StaticJWKS,
    verify_token,
)

__all__ = [
    "is_loopback_host",
    "DEFAULT_LEEWAY",
    "MAX_TOKEN_CHARS",
    "STS_ALGORITHMS",
    "Claims",
    "ExpiredTokenError",
    "FileKeyStore",
    "InvalidTokenError",
    "IssuerKeys",
    "JWKSFetchError",
    "JWKSFetcher",
    "KeySource",
    "SigningKey",
    "StaticJWKS",
    "TokenError",
    "cluster_routes",
    "discovery_document",
    "eks_issuer_url",
    "issue_token",
    "issuer_path",
    "issuer_routes",
    "jwks_uri",
    "kid_kubernetes",
    "kid_rfc7638",
    "new_oidc_id",
    "parse_eks_issuer",
    "provider_url",
    "service_account_subject",
    "token_request_lifetime",
    "verify_token",
]
