"""IssuerKeys: kid schemes, JWKS shape, rotation overlap, records and the file key store."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat

import pytest
from jwt.algorithms import RSAAlgorithm
from oidc_helpers import ISSUER_A, NOW

from podid.oidc import (
    ExpiredTokenError,
    FileKeyStore,
    InvalidTokenError,
    IssuerKeys,
    StaticJWKS,
    issue_token,
    kid_kubernetes,
    kid_rfc7638,
    verify_token,
)
from podid.oidc.keys import compute_kid


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_generated_key_is_rsa_2048_with_kubernetes_kid(keys_a: IssuerKeys) -> None:
    key = keys_a.active
    assert key.private_key.key_size == 2048
    assert key.public_key.public_numbers().e == 65537
    assert key.kid == kid_kubernetes(key.public_key)
    assert len(key.kid) == 43 and "=" not in key.kid
    assert key.created_at == NOW and key.retired_at is None and key.not_after is None


def test_rfc7638_thumbprint_matches_canonical_jwk(keys_a: IssuerKeys) -> None:
    pub = keys_a.active.public_key
    jwk = json.loads(RSAAlgorithm.to_jwk(pub))  # independent n/e encoding (PyJWT)
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"))
    assert kid_rfc7638(pub) == _b64(hashlib.sha256(canonical.encode()).digest())
    assert kid_rfc7638(pub) != kid_kubernetes(pub)
    keys = IssuerKeys.generate(NOW, kid_scheme="rfc7638")
    assert keys.active.kid == kid_rfc7638(keys.active.public_key)


def test_jwks_entry_shape(keys_a: IssuerKeys) -> None:
    doc = keys_a.jwks(NOW)
    assert list(doc) == ["keys"] and len(doc["keys"]) == 1
    entry = doc["keys"][0]
    assert list(entry) == ["kty", "kid", "use", "alg", "n", "e"]
    assert entry["kty"] == "RSA" and entry["use"] == "sig" and entry["alg"] == "RS256"
    assert entry["e"] == "AQAB"
    jwk = json.loads(RSAAlgorithm.to_jwk(keys_a.active.public_key))
    assert entry["n"] == jwk["n"]


def test_rotation_overlap_keeps_old_tokens_valid_until_they_expire() -> None:
    keys = IssuerKeys.generate(NOW, max_token_seconds=3600)
    old_token = issue_token(keys, ISSUER_A, "ns", "sa", "u", ["aud"], 3600, None, NOW + 100)
    rotated = keys.rotate(NOW + 200)
    assert rotated.active.kid != keys.active.kid
    old = rotated.keys[1]
    assert old.kid == keys.active.kid and old.retired_at == NOW + 200 and old.not_after == NOW + 3800
    # both keys published; the new key signs
    assert [k["kid"] for k in rotated.jwks(NOW + 300)["keys"]] == [rotated.active.kid, old.kid]
    new_token = issue_token(rotated, ISSUER_A, "ns", "sa", "u", ["aud"], 3600, None, NOW + 300)
    assert (
        json.loads(base64.urlsafe_b64decode(new_token.split(".")[0] + "==")).get("kid") == rotated.active.kid
    )
    # the old token verifies against the rotated set until its own expiry
    assert verify_token(old_token, rotated, ISSUER_A, "aud", NOW + 3000, 0).kid == old.kid
    with pytest.raises(ExpiredTokenError):
        verify_token(old_token, rotated, ISSUER_A, "aud", NOW + 3700, 0)
    # after the overlap window the old key is gone from JWKS and from verification
    assert [k["kid"] for k in rotated.jwks(NOW + 3800)["keys"]] == [rotated.active.kid]
    with pytest.raises(InvalidTokenError):
        verify_token(old_token, rotated, ISSUER_A, "aud", NOW + 3800, 10**6)
    pruned = rotated.prune(NOW + 3800)
    assert [k.kid for k in pruned.keys] == [rotated.active.kid]
    # any token the old key could have signed (<= max_token_seconds) expired before not_after
    assert old.not_after is not None and old.retired_at is not None
    assert old.not_after - old.retired_at == keys.max_token_seconds


def test_issue_refuses_lifetimes_beyond_the_rotation_bound(keys_a: IssuerKeys) -> None:
    with pytest.raises(ValueError):
        issue_token(keys_a, ISSUER_A, "ns", "sa", "u", ["aud"], keys_a.max_token_seconds + 1, None, NOW)
    with pytest.raises(ValueError):
        issue_token(keys_a, ISSUER_A, "ns", "sa", "u", [], 600, None, NOW)


def test_rotate_if_due_every_seven_days() -> None:
    keys = IssuerKeys.generate(NOW)
    assert keys.rotate_if_due(NOW + 7 * 86400 - 1) is keys
    rotated = keys.rotate_if_due(NOW + 7 * 86400)
    assert rotated.active.kid != keys.active.kid and len(rotated.keys) == 2
    twice = rotated.rotate(NOW + 7 * 86400 + 10)
    assert len(twice.keys) == 3
    assert len(twice.prune(NOW + 7 * 86400 + 10 + twice.max_token_seconds).keys) == 1


def test_record_round_trip(keys_a: IssuerKeys) -> None:
    rotated = keys_a.rotate(NOW + 5)
    record = json.loads(json.dumps(rotated.to_record()))
    restored = IssuerKeys.from_record(record)
    assert [k.kid for k in restored.keys] == [k.kid for k in rotated.keys]
    assert [(k.created_at, k.retired_at, k.not_after) for k in restored.keys] == [
        (k.created_at, k.retired_at, k.not_after) for k in rotated.keys
    ]
    assert restored.jwks(NOW + 10) == rotated.jwks(NOW + 10)
    token = issue_token(restored, ISSUER_A, "ns", "sa", "u", ["aud"], 600, None, NOW + 10)
    assert verify_token(token, rotated, ISSUER_A, "aud", NOW + 10).subject == "system:serviceaccount:ns:sa"
    assert record["keys"][0]["private_key_pem"].startswith("-----BEGIN PRIVATE KEY-----")


def test_record_rejects_mismatched_kid_and_bad_versions(keys_a: IssuerKeys, keys_b: IssuerKeys) -> None:
    record = keys_a.to_record()
    record["keys"][0]["kid"] = keys_b.active.kid
    with pytest.raises(ValueError):
        IssuerKeys.from_record(record)
    with pytest.raises(ValueError):
        IssuerKeys.from_record({**keys_a.to_record(), "version": 99})


def test_exactly_one_active_key_required(keys_a: IssuerKeys, keys_b: IssuerKeys) -> None:
    with pytest.raises(ValueError):
        IssuerKeys((keys_a.active, keys_b.active))
    with pytest.raises(ValueError):
        IssuerKeys(())


def test_file_keystore_permissions_and_round_trip(tmp_path: os.PathLike[str]) -> None:
    store = FileKeyStore(os.path.join(tmp_path, "oidc-keys"))
    assert store.load("demo") is None
    keys = store.load_or_create("demo", NOW)
    path = store.directory / "demo.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700
    again = store.load_or_create("demo", NOW + 60)
    assert again.active.kid == keys.active.kid
    rotated = store.load_or_create("demo", NOW + 7 * 86400)
    assert rotated.active.kid != keys.active.kid
    assert store.load("demo") is not None and store.load("demo").active.kid == rotated.active.kid  # type: ignore[union-attr]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in os.listdir(store.directory) if p.endswith(".tmp")]
    with pytest.raises(ValueError):
        store.load("../etc/passwd")
    store.delete("demo")
    assert store.load("demo") is None


def test_static_jwks_source_skips_private_and_symmetric_keys(keys_a: IssuerKeys) -> None:
    jwks = keys_a.jwks(NOW)
    jwks["keys"].append({"kty": "oct", "kid": "sym", "k": "c2VjcmV0"})
    private = json.loads(RSAAlgorithm.to_jwk(keys_a.active.private_key))
    private["kid"] = "priv"
    jwks["keys"].append(private)
    source = StaticJWKS(jwks)
    assert [k.key_id for k in source.keys] == [keys_a.active.kid]
    assert compute_kid(keys_a.active.public_key, "kubernetes") == keys_a.active.kid
