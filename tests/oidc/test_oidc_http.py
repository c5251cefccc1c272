"""Discovery + JWKS served by a real uvicorn on 127.0.0.1, consumed by JWKSFetcher and PyJWKClient."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import jwt
import pytest
from oidc_helpers import sign_rs
from starlette.applications import Starlette

from podid.oidc import (
    InvalidTokenError,
    IssuerKeys,
    JWKSFetcher,
    JWKSFetchError,
    cluster_routes,
    discovery_document,
    issue_token,
    issuer_routes,
    verify_token,
)
from support.threaded_server import serve

AUD = "sts.amazonaws.com"


class Clusters:
    """A mutable directory of clusters, as the EKS control plane would hold them."""

    def __init__(self) -> None:
        self.port = 0
        self.keys: dict[str, IssuerKeys] = {}

    def issuer(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/clusters/{name}/oidc"

    def resolve(self, name: str) -> tuple[str, IssuerKeys] | None:
        return (self.issuer(name), self.keys[name]) if name in self.keys else None


@pytest.fixture()
def served() -> Any:
    clusters = Clusters()
    now = int(time.time())
    clusters.keys["demo"] = IssuerKeys.generate(now)
    clusters.keys["other"] = IssuerKeys.generate(now)
    app = Starlette(routes=cluster_routes(clusters.resolve))
    with serve(app) as port:
        clusters.port = port
        yield clusters


def _sa_token(keys: IssuerKeys, issuer: str, now: int | None = None) -> str:
    return issue_token(
        keys,
        issuer,
        "default",
        "my-sa",
        "sa-uid",
        [AUD],
        3600,
        ("pod", "pod-uid"),
        int(time.time()) if now is None else now,
    )


def test_discovery_and_jwks_over_http(served: Clusters) -> None:
    issuer = served.issuer("demo")
    resp = httpx.get(issuer + "/.well-known/openid-configuration")
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/json"
    doc = resp.json()
    assert list(doc) == [
        "issuer",
        "jwks_uri",
        "authorization_endpoint",
        "response_types_supported",
        "subject_types_supported",
        "claims_supported",
        "id_token_signing_alg_values_supported",
    ]
    assert doc == {
        "issuer": issuer,
        "jwks_uri": issuer + "/keys",
        "authorization_endpoint": "urn:kubernetes:programmatic_authorization",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "claims_supported": ["sub", "iss"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    keys = httpx.get(doc["jwks_uri"])
    assert keys.status_code == 200
    assert keys.json() == served.keys["demo"].jwks(int(time.time()))
    assert httpx.get(served.issuer("nope") + "/keys").status_code == 404
    assert httpx.get(served.issuer("nope") + "/.well-known/openid-configuration").status_code == 404


def test_fetcher_verifies_caches_and_refreshes_on_rotation(served: Clusters) -> None:
    issuer = served.issuer("demo")
    with JWKSFetcher(issuer, allow_http=True, min_refresh_interval=0.0) as fetcher:
        token = _sa_token(served.keys["demo"], issuer)
        assert verify_token(token, fetcher, issuer, AUD).service_account_name == "my-sa"
        assert fetcher.jwks_uri == issuer + "/keys" and fetcher.fetch_count == 1
        verify_token(token, fetcher, issuer, AUD)
        assert fetcher.fetch_count == 1  # cached
        # the control plane rotates; a token from the new key triggers one refresh
        served.keys["demo"] = served.keys["demo"].rotate(int(time.time()))
        fresh = _sa_token(served.keys["demo"], issuer)
        assert verify_token(fresh, fetcher, issuer, AUD).kid == served.keys["demo"].active.kid
        assert fetcher.fetch_count == 2
        assert verify_token(token, fetcher, issuer, AUD).kid == served.keys["demo"].keys[1].kid
        # another cluster's token never verifies against this issuer's keys
        with pytest.raises(InvalidTokenError):
            verify_token(_sa_token(served.keys["other"], issuer), fetcher, issuer, AUD)


def test_unknown_kid_flood_is_rate_limited(served: Clusters) -> None:
    issuer = served.issuer("demo")
    attacker = IssuerKeys.generate(int(time.time()))
    with JWKSFetcher(issuer, allow_http=True, min_refresh_interval=3600.0) as fetcher:
        verify_token(_sa_token(served.keys["demo"], issuer), fetcher, issuer, AUD)
        assert fetcher.fetch_count == 1
        now = int(time.time())
        payload = {
            "iss": issuer,
            "sub": "system:serviceaccount:default:x",
            "aud": [AUD],
            "iat": now,
            "nbf": now,
            "exp": now + 60,
            "kubernetes.io": {"namespace": "default", "serviceaccount": {"name": "x", "uid": "u"}},
        }
        for i in range(50):
            forged = sign_rs(attacker.active.private_key, {"alg": "RS256", "kid": f"kid-{i}"}, payload)
            with pytest.raises(InvalidTokenError):
                verify_token(forged, fetcher, issuer, AUD)
        assert fetcher.fetch_count == 1  # the first unknown kid was within the interval: no refetch


def test_pyjwkclient_validates_our_token(served: Clusters) -> None:
    issuer = served.issuer("demo")
    token = _sa_token(served.keys["demo"], issuer)
    client = jwt.PyJWKClient(issuer + "/keys")
    signing_key = client.get_signing_key_from_jwt(token)
    assert signing_key.key_id == served.keys["demo"].active.kid
    claims = jwt.decode(token, signing_key.key, algorithms=["RS256"], audience=AUD, issuer=issuer)
    assert claims["sub"] == "system:serviceaccount:default:my-sa"
    assert claims["kubernetes.io"]["pod"] == {"name": "pod", "uid": "pod-uid"}


def test_single_issuer_routes_under_eks_style_path() -> None:
    keys = IssuerKeys.generate(int(time.time()))
    app = Starlette()
    with serve(app) as port:
        issuer = f"http://127.0.0.1:{port}/id/0123456789ABCDEF0123456789ABCDEF"
        app.router.routes.extend(issuer_routes(issuer, lambda: keys))
        doc = httpx.get(issuer + "/.well-known/openid-configuration").json()
        assert doc == discovery_document(issuer)
        with JWKSFetcher(issuer, allow_http=True) as fetcher:
            assert verify_token(_sa_token(keys, issuer), fetcher, issuer, AUD).issuer == issuer


# -- fetcher edge cases over a mock transport --------------------------------------------------

ISS = "https://idp.example/id/X"


def _mock(handler: Any) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_fetcher_refuses_plain_http_by_default() -> None:
    with pytest.raises(JWKSFetchError):
        JWKSFetcher("http://127.0.0.1:1/x").verification_keys(None, 0)


def test_fetcher_checks_discovery_issuer_and_errors() -> None:
    def wrong_issuer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"issuer": "https://evil.example", "jwks_uri": ISS + "/keys"})

    with pytest.raises(JWKSFetchError):
        JWKSFetcher(ISS, client=_mock(wrong_issuer)).verification_keys("k", 0)

    def http_jwks_uri(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"issuer": ISS, "jwks_uri": "http://idp.example/keys"})

    with pytest.raises(JWKSFetchError):
        JWKSFetcher(ISS, client=_mock(http_jwks_uri)).verification_keys("k", 0)

    for response in (
        httpx.Response(500),
        httpx.Response(200, content=b"not json"),
        httpx.Response(200, json={"no": "keys"}),
        httpx.Response(200, json={"keys": [{"kty": "RSA"}] * 101}),
        httpx.Response(200, content=b"[" + b" " * 600_000 + b"]"),
    ):
        fetcher = JWKSFetcher(jwks_uri=ISS + "/keys", client=_mock(lambda r, resp=response: resp))
        with pytest.raises(JWKSFetchError):
            fetcher.verification_keys("k", 0)

    def redirect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://evil.example/keys"})

    with pytest.raises(JWKSFetchError):
        JWKSFetcher(jwks_uri=ISS + "/keys", client=_mock(redirect)).verification_keys("k", 0)


def test_fetcher_ttl_and_stale_keys_on_failure() -> None:
    keys = IssuerKeys.generate(0)
    state = {"fail": False, "calls": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        state["calls"] += 1
        if state["fail"]:
            return httpx.Response(503)
        return httpx.Response(200, content=json.dumps(keys.jwks(0)).encode())

    clock = {"t": 1000.0}
    fetcher = JWKSFetcher(
        jwks_uri=ISS + "/keys",
        client=_mock(handler),
        ttl=100,
        min_refresh_interval=10,
        clock=lambda: clock["t"],
    )
    assert [k.key_id for k in fetcher.verification_keys(keys.active.kid, 0)] == [keys.active.kid]
    clock["t"] += 50
    fetcher.verification_keys(keys.active.kid, 0)
    assert state["calls"] == 1
    clock["t"] += 60  # past ttl: refetch
    fetcher.verification_keys(keys.active.kid, 0)
    assert state["calls"] == 2
    state["fail"] = True
    clock["t"] += 200  # past ttl, IdP down: keep serving the last good keys
    assert [k.key_id for k in fetcher.verification_keys(keys.active.kid, 0)] == [keys.active.kid]
    assert state["calls"] == 3
    assert fetcher.verification_keys("unknown", 0) == []
    assert state["calls"] == 3  # within min_refresh_interval of the failed attempt
