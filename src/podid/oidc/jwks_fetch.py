"""JWKS fetcher for external OIDC issuers (STS AssumeRoleWithWebIdentity), over httpx.

Resolves ``jwks_uri`` from ``<issuer>/.well-known/openid-configuration`` (or takes it directly),
caches the key set for ``ttl`` seconds, and on an unknown ``kid`` refreshes at most once per
``min_refresh_interval`` - so a flood of tokens with random kids cannot make podid hammer the
identity provider. Responses are bounded (size, key count), redirects are not followed, and plain
``http`` is refused unless ``allow_http=True`` (local issuers on loopback). If a refresh fails the
previously fetched keys stay in use; with nothing cached the failure is raised as
:class:`JWKSFetchError` (STS ``IDPCommunicationError``).
"""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
from jwt import PyJWK

from podid.oidc.errors import JWKSFetchError
from podid.oidc.verify import parse_jwks

DISCOVERY_SUFFIX = "/.well-known/openid-configuration"


class JWKSFetcher:
    """A caching :class:`podid.oidc.verify.KeySource` backed by an issuer's published JWKS."""

    def __init__(
        self,
        issuer: str | None = None,
        *,
        jwks_uri: str | None = None,
        client: httpx.Client | None = None,
        ttl: float = 3600.0,
        min_refresh_interval: float = 30.0,
        timeout: float = 5.0,
        max_bytes: int = 512 * 1024,
        max_keys: int = 100,
        allow_http: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if issuer is None and jwks_uri is None:
            raise ValueError("give an issuer or a jwks_uri")
        self.issuer = issuer.rstrip("/") if issuer else None
        self.jwks_uri = jwks_uri
        self.allow_http = allow_http
        self.ttl = ttl
        self.min_refresh_interval = min_refresh_interval
        self.max_bytes = max_bytes
        self.max_keys = max_keys
        self._clock = clock
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self._owns_client = client is None
        self._lock = threading.Lock()
        self._keys: list[PyJWK] | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None
        self.fetch_count = 0

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> JWKSFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- HTTP -------------------------------------------------------------------------------
    def _check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if (parts.scheme == "https" or (parts.scheme == "http" and self.allow_http)) and parts.hostname:
            return
        raise JWKSFetchError(f"refusing to fetch {url!r}: https required")

    def _get_json(self, url: str) -> Any:
        self._check_url(url)
        try:
            with self._client.stream("GET", url, headers={"Accept": "application/json"}) as resp:
                if resp.status_code != 200:
                    raise JWKSFetchError(f"GET {url} answered HTTP {resp.status_code}")
                body = bytearray()
                for chunk in resp.iter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise JWKSFetchError(f"GET {url}: response larger than {self.max_bytes} bytes")
        except httpx.HTTPError as exc:
            raise JWKSFetchError(f"GET {url} failed: {exc}") from exc
        try:
            return json.loads(bytes(body))
        except ValueError as exc:
            raise JWKSFetchError(f"GET {url}: response is not JSON") from exc

    def discover(self) -> str:
        """The issuer's ``jwks_uri`` (cached after the first success)."""
        if self.jwks_uri:
            return self.jwks_uri
        assert self.issuer is not None
        doc = self._get_json(self.issuer + DISCOVERY_SUFFIX)
        if not isinstance(doc, dict) or doc.get("issuer") != self.issuer:
            raise JWKSFetchError("discovery document issuer does not match the issuer")
        uri = doc.get("jwks_uri")
        if not isinstance(uri, str):
            raise JWKSFetchError("discovery document has no jwks_uri")
        self._check_url(uri)
        self.jwks_uri = uri
        return uri

    def _fetch(self) -> list[PyJWK]:
        doc = self._get_json(self.discover())
        if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
            raise JWKSFetchError("JWKS document has no 'keys' list")
        if len(doc["keys"]) > self.max_keys:
            raise JWKSFetchError(f"JWKS has more than {self.max_keys} keys")
        self.fetch_count += 1
        return parse_jwks(doc)

    def refresh(self, *, force: bool = False) -> bool:
        """Fetch the key set now (rate-limited unless ``force``); True if a fetch happened."""
        with self._lock:
            now = self._clock()
            if (not force and self._attempted_at is not None
                    and now - self._attempted_at < self.min_refresh_interval):
                return False
            self._attempted_at = now
            try:
                keys = self._fetch()
            except JWKSFetchError:
                if self._keys is None:
                    raise
                return False  # keep serving the keys fetched last
            self._keys = keys
            self._fetched_at = now
            return True

    # -- KeySource ---------------------------------------------------------------------------
    def verification_keys(self, kid: str | None, now: int) -> list[PyJWK]:
        if self._keys is None or self._clock() - self._fetched_at >= self.ttl:
            self.refresh()
        found = self._select(kid)
        if not found and kid is not None and self.refresh():
            found = self._select(kid)
        return found

    def _select(self, kid: str | None) -> list[PyJWK]:
        keys = self._keys or []
        return [k for k in keys if kid is None or k.key_id == kid]


def is_loopback_host(host: str | None) -> bool:
    """localhost, 127.0.0.0/8 or ::1: the only hosts whose issuer may be served over plain http."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
