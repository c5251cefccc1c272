"""Token issuance (exact Kubernetes shape), verification and the forgery campaign."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import RSAAlgorithm
from oidc_helpers import ISSUER_A, ISSUER_B, NOW, b64, decode_part, enc, sign_hs, sign_pss, sign_rs

from podid.oidc import (
    MAX_TOKEN_CHARS,
    STS_ALGORITHMS,
    ExpiredTokenError,
    InvalidTokenError,
    IssuerKeys,
    StaticJWKS,
    TokenError,
    issue_token,
    token_request_lifetime,
    verify_token,
)

AUD = "pods.eks.amazonaws.com"
POD = ("app-7d4b9c", "6b1e6a8e-1a2b-4c3d-9e8f-000000000001")
SA_UID = "2f0c1a55-0000-4000-8000-00000000beef"


def _token(keys: IssuerKeys, **kw: Any) -> str:
    args: dict[str, Any] = dict(
        keys=keys,
        issuer=ISSUER_A,
        namespace="payments",
        sa_name="ledger",
        sa_uid=SA_UID,
        audiences=[AUD],
        expiration_seconds=86400,
        pod=POD,
        now=NOW,
    )
    args.update(kw)
    return issue_token(**args)


def _claims(keys: IssuerKeys) -> dict[str, Any]:
    return decode_part(_token(keys), 1)


# -- issuance -----------------------------------------------------------------------------------


def test_round_trip(keys_a: IssuerKeys) -> None:
    claims = verify_token(_token(keys_a), keys_a, ISSUER_A, AUD, NOW + 10)
    assert claims.subject == "system:serviceaccount:payments:ledger"
    assert claims.audiences == (AUD,)
    assert (claims.issued_at, claims.not_before, claims.expires_at) == (NOW, NOW, NOW + 86400)
    assert (claims.namespace, claims.service_account_name, claims.service_account_uid) == (
        "payments",
        "ledger",
        SA_UID,
    )
    assert (claims.pod_name, claims.pod_uid) == POD
    assert claims.kid == keys_a.active.kid and claims.algorithm == "RS256"
    assert claims.warn_after is None and claims.jti is None and claims.node_name is None


def test_exact_kubernetes_layout(keys_a: IssuerKeys) -> None:
    token = _token(keys_a)
    header_raw = token.split(".")[0]
    assert decode_part(token, 0) == {"alg": "RS256", "kid": keys_a.active.kid}
    assert header_raw == enc({"alg": "RS256", "kid": keys_a.active.kid})  # no typ, this order
    payload = decode_part(token, 1)
    assert list(payload) == ["aud", "exp", "iat", "iss", "kubernetes.io", "nbf", "sub"]
    assert payload == {
        "aud": [AUD],
        "exp": NOW + 86400,
        "iat": NOW,
        "iss": ISSUER_A,
        "kubernetes.io": {
            "namespace": "payments",
            "pod": {"name": POD[0], "uid": POD[1]},
            "serviceaccount": {"name": "ledger", "uid": SA_UID},
        },
        "nbf": NOW,
        "sub": "system:serviceaccount:payments:ledger",
    }
    assert list(payload["kubernetes.io"]) == ["namespace", "pod", "serviceaccount"]
    # compact JSON as Go writes it
    assert token.split(".")[1] == enc(json.dumps(payload, separators=(",", ":")))


def test_optional_claims_node_jti_warnafter(keys_a: IssuerKeys) -> None:
    token = _token(keys_a, node=("ip-10-0-1-5", "node-uid"), jti="1f1e-jti", warn_after_seconds=3607)
    payload = decode_part(token, 1)
    assert list(payload) == ["aud", "exp", "iat", "iss", "jti", "kubernetes.io", "nbf", "sub"]
    assert list(payload["kubernetes.io"]) == ["namespace", "node", "pod", "serviceaccount", "warnafter"]
    assert payload["kubernetes.io"]["warnafter"] == NOW + 3607
    claims = verify_token(token, keys_a, ISSUER_A, AUD, NOW)
    assert (claims.node_name, claims.jti, claims.warn_after) == ("ip-10-0-1-5", "1f1e-jti", NOW + 3607)


def test_token_without_pod_binding(keys_a: IssuerKeys) -> None:
    payload = decode_part(_token(keys_a, pod=None), 1)
    assert "pod" not in payload["kubernetes.io"]


def test_token_request_lifetime_rules() -> None:
    api = ["https://kubernetes.default.svc"]
    # capped to the maximum, no warnafter
    assert token_request_lifetime(
        172800, max_expiration_seconds=86400, pod_bound=True, audiences=["sts.amazonaws.com"]
    ) == (86400, None)
    # kubelet's 3607 s kube-api-access request with extension -> extended exp + warnafter
    assert token_request_lifetime(
        3607,
        max_expiration_seconds=86400,
        pod_bound=True,
        audiences=api,
        api_audiences=api,
        extend_expiration=True,
        max_extended_expiration_seconds=90 * 86400,
    ) == (90 * 86400, 3607)
    # not for foreign audiences, not unbound, not other durations, not without the flag
    assert token_request_lifetime(
        3607,
        max_expiration_seconds=86400,
        pod_bound=True,
        audiences=[AUD],
        api_audiences=api,
        extend_expiration=True,
    ) == (3607, None)
    assert token_request_lifetime(
        3607,
        max_expiration_seconds=86400,
        pod_bound=False,
        audiences=api,
        api_audiences=api,
        extend_expiration=True,
    ) == (3607, None)
    assert token_request_lifetime(
        3600,
        max_expiration_seconds=86400,
        pod_bound=True,
        audiences=api,
        api_audiences=api,
        extend_expiration=True,
    ) == (3600, None)
    with pytest.raises(ValueError):
        token_request_lifetime(599, max_expiration_seconds=86400, pod_bound=True, audiences=api)


def test_audience_list_and_multiple_accepted(keys_a: IssuerKeys) -> None:
    token = _token(keys_a, audiences=["sts.amazonaws.com", "other"])
    assert verify_token(token, keys_a, ISSUER_A, "other", NOW).audiences == ("sts.amazonaws.com", "other")
    assert verify_token(token, keys_a, ISSUER_A, ["x", "sts.amazonaws.com"], NOW).subject


def test_expired_is_distinguished_from_invalid(keys_a: IssuerKeys) -> None:
    token = _token(keys_a, expiration_seconds=600)
    assert verify_token(token, keys_a, ISSUER_A, AUD, NOW + 600 + 59, leeway=60).expires_at == NOW + 600
    with pytest.raises(ExpiredTokenError):
        verify_token(token, keys_a, ISSUER_A, AUD, NOW + 600 + 60, leeway=60)
    with pytest.raises(ExpiredTokenError):
        verify_token(token, keys_a, ISSUER_A, AUD, NOW + 600, leeway=0)
    # expired AND wrong audience / issuer -> invalid, never "expired"
    with pytest.raises(InvalidTokenError):
        verify_token(token, keys_a, ISSUER_A, "sts.amazonaws.com", NOW + 10**6)
    with pytest.raises(InvalidTokenError):
        verify_token(token, keys_a, ISSUER_B, AUD, NOW + 10**6)


def test_generic_oidc_mode_accepts_non_kubernetes_tokens(keys_a: IssuerKeys) -> None:
    payload = {"iss": ISSUER_A, "sub": "user-1", "aud": "sts.amazonaws.com", "iat": NOW, "exp": NOW + 60}
    token = sign_rs(keys_a.active.private_key, {"alg": "RS256", "kid": keys_a.active.kid}, payload)
    claims = verify_token(
        token, keys_a, ISSUER_A, "sts.amazonaws.com", NOW, kubernetes=False, algorithms=STS_ALGORITHMS
    )
    assert claims.subject == "user-1" and claims.namespace is None and claims.not_before is None
    with pytest.raises(InvalidTokenError):  # but a ServiceAccount verifier insists on its claims
        verify_token(token, keys_a, ISSUER_A, "sts.amazonaws.com", NOW)


def test_es256_external_issuer_via_jwks() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    from jwt.algorithms import ECAlgorithm

    jwk = json.loads(ECAlgorithm.to_jwk(ec_key.public_key()))
    jwk.update(kid="ec1", use="sig")
    import jwt as pyjwt

    payload = {
        "iss": "https://idp.example",
        "sub": "s",
        "aud": "sts.amazonaws.com",
        "iat": NOW,
        "exp": NOW + 60,
    }
    token = pyjwt.encode(payload, ec_key, algorithm="ES256", headers={"kid": "ec1"})
    source = StaticJWKS({"keys": [jwk]})
    assert (
        verify_token(
            token,
            source,
            "https://idp.example",
            "sts.amazonaws.com",
            NOW,
            kubernetes=False,
            algorithms=STS_ALGORITHMS,
        ).algorithm
        == "ES256"
    )
    with pytest.raises(InvalidTokenError):  # ES256 is not in the ServiceAccount default list
        verify_token(token, source, "https://idp.example", "sts.amazonaws.com", NOW, kubernetes=False)


# -- forgery campaign ---------------------------------------------------------------------------


def _forgeries(keys_a: IssuerKeys, keys_b: IssuerKeys) -> dict[str, str]:
    real = keys_a.active
    hdr = {"alg": "RS256", "kid": real.kid}
    good = _claims(keys_a)
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub_pem = real.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pub_der = real.public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    genuine = _token(keys_a)
    h, p, s = genuine.split(".")

    def with_claims(mutate: Callable[[dict[str, Any]], None]) -> str:
        claims = copy.deepcopy(good)
        mutate(claims)
        return sign_rs(real.private_key, hdr, claims)

    def drop(*path: str) -> Callable[[dict[str, Any]], None]:
        def go(c: dict[str, Any]) -> None:
            target = c
            for part in path[:-1]:
                target = target[part]
            del target[path[-1]]

        return go

    def setc(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
        return lambda c: c.__setitem__(key, value)

    tampered_payload = dict(good, sub="system:serviceaccount:kube-system:admin")
    tampered_payload["kubernetes.io"] = dict(
        good["kubernetes.io"], namespace="kube-system", serviceaccount={"name": "admin", "uid": SA_UID}
    )
    flipped = s[:-5] + ("A" if s[-5] != "A" else "B") + s[-4:]
    big = with_claims(lambda c: c.__setitem__("pad", "x" * MAX_TOKEN_CHARS))
    other_cluster = issue_token(keys_b, ISSUER_A, "payments", "ledger", SA_UID, [AUD], 86400, POD, NOW)
    attacker_jwk = json.loads(RSAAlgorithm.to_jwk(attacker.public_key()))
    dup_payload = json.dumps(dict(good, aud=["sts.amazonaws.com"]), separators=(",", ":"))[:-1] + (
        ',"aud":["' + AUD + '"]}'
    )  # first aud wrong, last aud right: parser differential bait

    forged = {
        "alg none, empty signature": f"{enc({'alg': 'none', 'kid': real.kid})}.{p}.",
        "alg none, junk signature": f"{enc({'alg': 'none', 'kid': real.kid})}.{p}.{b64(b'x')}",
        "alg None spelled": f"{enc({'alg': 'None'})}.{p}.{s}",
        "HS256 with RSA public PEM": sign_hs(pub_pem, {"alg": "HS256", "kid": real.kid}, good),
        "HS256 with RSA public DER": sign_hs(pub_der, {"alg": "HS256", "kid": real.kid}, good),
        "HS256 with n as secret": sign_hs(real.jwk()["n"].encode(), {"alg": "HS256", "kid": real.kid}, good),
        "RS384 with the real key": sign_rs(
            real.private_key, {"alg": "RS384", "kid": real.kid}, good, hashes.SHA384()
        ),
        "PS256 with the real key": sign_pss(real.private_key, {"alg": "PS256", "kid": real.kid}, good),
        "unknown kid": sign_rs(attacker, {"alg": "RS256", "kid": "not-a-kid"}, good),
        "attacker key, real kid": sign_rs(attacker, hdr, good),
        "attacker key, no kid": sign_rs(attacker, {"alg": "RS256"}, good),
        "embedded jwk header": sign_rs(attacker, {"alg": "RS256", "jwk": attacker_jwk}, good),
        "embedded jku header": sign_rs(
            attacker, {"alg": "RS256", "kid": real.kid, "jku": "https://evil.example/keys"}, good
        ),
        "another cluster's key": other_cluster,
        "another cluster's genuine token": issue_token(
            keys_b, ISSUER_B, "payments", "ledger", SA_UID, [AUD], 86400, POD, NOW
        ),
        "another cluster's key, our kid": sign_rs(keys_b.active.private_key, hdr, good),
        "wrong audience": _token(keys_a, audiences=["sts.amazonaws.com"]),
        "wrong issuer": _token(keys_a, issuer=ISSUER_B),
        "issuer with trailing slash": _token(keys_a, issuer=ISSUER_A + "/"),
        "nbf in the future": with_claims(setc("nbf", NOW + 3600)),
        "iat in the future": with_claims(lambda c: c.update(iat=NOW + 3600, nbf=NOW)),
        "exp before iat": with_claims(setc("exp", NOW - 1)),
        "tampered payload": f"{h}.{enc(tampered_payload)}.{s}",
        "tampered header kid": f"{enc({'alg': 'RS256', 'kid': keys_b.active.kid})}.{p}.{s}",
        "tampered header alg": f"{enc({'alg': 'RS512', 'kid': real.kid})}.{p}.{s}",
        "tampered signature": f"{h}.{p}.{flipped}",
        "truncated signature": f"{h}.{p}.{s[:-8]}",
        "signature of another token": f"{h}.{p}.{_token(keys_a, now=NOW + 1).split('.')[2]}",
        "missing signature": f"{h}.{p}",
        "extra segment": f"{h}.{p}.{s}.{s}",
        "whitespace inside": f"{h}.{p} .{s}",
        "padding in segment": f"{h}.{p}=.{s}",
        "exp float": with_claims(setc("exp", float(NOW + 86400))),
        "exp string": with_claims(setc("exp", str(NOW + 86400))),
        "iat bool": with_claims(setc("iat", True)),
        "nbf string": with_claims(setc("nbf", str(NOW))),
        "exp huge float": with_claims(setc("exp", 1e20)),
        "longer than 20000 chars": big,
        "missing iss": with_claims(drop("iss")),
        "missing sub": with_claims(drop("sub")),
        "missing aud": with_claims(drop("aud")),
        "missing exp": with_claims(drop("exp")),
        "missing iat": with_claims(drop("iat")),
        "missing nbf": with_claims(drop("nbf")),
        "missing kubernetes.io": with_claims(drop("kubernetes.io")),
        "missing namespace": with_claims(drop("kubernetes.io", "namespace")),
        "missing serviceaccount": with_claims(drop("kubernetes.io", "serviceaccount")),
        "missing serviceaccount uid": with_claims(drop("kubernetes.io", "serviceaccount", "uid")),
        "pod without uid": with_claims(drop("kubernetes.io", "pod", "uid")),
        "sub disagrees with kubernetes.io": with_claims(
            setc("sub", "system:serviceaccount:kube-system:admin")
        ),
        "empty aud list": with_claims(setc("aud", [])),
        "non-string aud": with_claims(setc("aud", [AUD, 7])),
        "aud as object": with_claims(setc("aud", {"0": AUD})),
        "iss not a string": with_claims(setc("iss", [ISSUER_A])),
        "duplicate aud member": sign_rs(real.private_key, hdr, dup_payload),
        "payload is a list": sign_rs(real.private_key, hdr, json.dumps([good])),
        "payload not JSON": sign_rs(real.private_key, hdr, "not json"),
        "header not JSON": f"{b64(b'{alg:RS256}')}.{p}.{s}",
        "crit header": sign_rs(real.private_key, {**hdr, "crit": ["exp"], "exp": 1}, good),
        "kid not a string": sign_rs(real.private_key, {"alg": "RS256", "kid": 5}, good),
        "empty token": "",
    }
    return forged


def test_every_forgery_is_rejected(keys_a: IssuerKeys, keys_b: IssuerKeys) -> None:
    forged = _forgeries(keys_a, keys_b)
    assert len(forged) >= 60
    accepted: list[str] = []
    wrong_kind: list[str] = []
    for name, token in forged.items():
        for source in (keys_a, StaticJWKS(keys_a.jwks(NOW))):
            try:
                verify_token(token, source, ISSUER_A, AUD, NOW + 10)
            except InvalidTokenError:
                continue
            except TokenError as exc:
                wrong_kind.append(f"{name}: {type(exc).__name__}")
                continue
            accepted.append(name)
    assert accepted == [], f"accepted forgeries: {accepted}"
    assert wrong_kind == [], f"forgeries reported as expired: {wrong_kind}"


def test_forgeries_stay_rejected_even_when_expired(keys_a: IssuerKeys, keys_b: IssuerKeys) -> None:
    forged = _forgeries(keys_a, keys_b)
    # "nbf/iat in the future" are real-key tokens whose only fault is time: later they are genuine
    time_only = {"nbf in the future", "iat in the future"}
    for name, token in forged.items():
        if name in time_only:
            continue
        with pytest.raises(InvalidTokenError):
            verify_token(token, keys_a, ISSUER_A, AUD, NOW + 10**7, leeway=0)


def test_the_genuine_token_passes_both_sources(keys_a: IssuerKeys) -> None:
    token = _token(keys_a)
    for source in (keys_a, StaticJWKS(keys_a.jwks(NOW))):
        assert verify_token(token, source, ISSUER_A, AUD, NOW + 10).pod_name == POD[0]


def test_length_limit_is_exactly_20000(keys_a: IssuerKeys) -> None:
    base = _claims(keys_a)
    hdr = {"alg": "RS256", "kid": keys_a.active.kid}
    signature_chars = 342  # base64url of a 256-byte RSA-2048 signature

    def length(extra: int) -> int:
        return len(enc(hdr)) + len(enc(dict(base, pad="x" * extra))) + signature_chars + 2

    # base64url grows 4 chars per 3 bytes: take the longest token not above the limit
    extra = max(e for e in range(0, MAX_TOKEN_CHARS) if length(e) <= MAX_TOKEN_CHARS)
    token = sign_rs(keys_a.active.private_key, hdr, dict(base, pad="x" * extra))
    assert len(token) == length(extra) and MAX_TOKEN_CHARS - 2 <= len(token) <= MAX_TOKEN_CHARS
    assert verify_token(token, keys_a, ISSUER_A, AUD, NOW).subject
    longer = sign_rs(keys_a.active.private_key, hdr, dict(base, pad="x" * (extra + 1)))
    assert len(longer) > MAX_TOKEN_CHARS
    with pytest.raises(InvalidTokenError):
        verify_token(longer, keys_a, ISSUER_A, AUD, NOW)


def test_algorithm_list_must_be_asymmetric(keys_a: IssuerKeys) -> None:
    with pytest.raises(ValueError):
        verify_token(_token(keys_a), keys_a, ISSUER_A, AUD, NOW, algorithms=["HS256", "RS256"])
    with pytest.raises(ValueError):
        verify_token(_token(keys_a), keys_a, ISSUER_A, AUD, NOW, algorithms=["none"])
