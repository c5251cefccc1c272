"""TokenCodec: stateless temporary credentials (derived secret, AES-GCM session token, rotation)."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from podid.auth.errors import AuthError
from podid.auth.ids import is_temporary
from podid.auth.tokens import MAX_SESSION_SECONDS, SessionContext, TokenCodec

ROLE = "arn:aws:iam::111122223333:role/app"
SESSION = SessionContext(
    principal_arn="arn:aws:sts::111122223333:assumed-role/app/s1",
    account="111122223333",
    role_arn=ROLE,
    role_id="AROAEXAMPLEEXAMPLE01",
    session_name="s1",
    tags={"team": "a"},
    transitive_tag_keys=("team",),
    session_policy='{"Version":"2012-10-17","Statement":[]}',
    source_identity="me",
)


class Clock:
    def __init__(self, now: float = 1_750_000_000) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _kind(codec: TokenCodec, token: str, akid: str) -> str:
    with pytest.raises(AuthError) as info:
        codec.decode(token, akid)
    return info.value.kind


def test_roundtrip_and_binding(tmp_path: Path) -> None:
    codec = TokenCodec.open(tmp_path)
    creds = codec.issue(SESSION, 3600)
    assert is_temporary(creds.access_key_id) and len(creds.secret_access_key) == 40
    ctx = codec.decode(creds.session_token, creds.access_key_id)
    assert ctx.principal_arn == SESSION.principal_arn and ctx.tags == {"team": "a"}
    assert ctx.transitive_tag_keys == ("team",) and ctx.session_policy == SESSION.session_policy
    assert ctx.access_key_id == creds.access_key_id and ctx.key_id == codec.active_key_id
    assert ctx.user_id == "AROAEXAMPLEEXAMPLE01:s1"
    assert codec.secret_for(creds.access_key_id, ctx.key_id) == creds.secret_access_key
    # a second process opening the same state dir verifies the same credentials
    other = TokenCodec.open(tmp_path)
    assert other.decode(creds.session_token, creds.access_key_id) == ctx
    assert other.secret_for(creds.access_key_id, ctx.key_id) == creds.secret_access_key


def test_key_file_is_private(tmp_path: Path) -> None:
    TokenCodec.open(tmp_path)
    mode = stat.S_IMODE((tmp_path / "master-keys.json").stat().st_mode)
    assert mode == 0o600


def test_token_is_opaque(tmp_path: Path) -> None:
    creds = TokenCodec.open(tmp_path).issue(SESSION, 900)
    raw = base64.b64decode(creds.session_token)
    for needle in (b"app", b"team", b"s1", b"Statement", creds.access_key_id.encode()):
        assert needle not in raw


def test_every_flipped_byte_is_rejected(tmp_path: Path) -> None:
    codec = TokenCodec.open(tmp_path)
    creds = codec.issue(SESSION, 900)
    raw = bytearray(base64.b64decode(creds.session_token))
    accepted = 0
    for i in range(len(raw)):
        for bit in (0x01, 0x80):
            raw[i] ^= bit
            try:
                codec.decode(base64.b64encode(bytes(raw)).decode(), creds.access_key_id)
                accepted += 1
            except AuthError as exc:
                assert exc.kind == "invalid_token"
            raw[i] ^= bit
    assert accepted == 0


def test_garbage_tokens(tmp_path: Path) -> None:
    codec = TokenCodec.open(tmp_path)
    for token in ["", "not base64!", "AAAA", base64.b64encode(b"\x01\x05kxxxx" + b"0" * 40).decode()]:
        assert _kind(codec, token, "ASIAAAAAAAAAAAAAAAAA") == "invalid_token"


def test_bound_to_access_key(tmp_path: Path) -> None:
    codec = TokenCodec.open(tmp_path)
    one, two = codec.issue(SESSION, 900), codec.issue(SESSION, 900)
    assert _kind(codec, one.session_token, two.access_key_id) == "invalid_token"


def test_expiry(tmp_path: Path) -> None:
    clock = Clock()
    codec = TokenCodec.open(tmp_path, clock)
    creds = codec.issue(SESSION, 900)
    clock.now += 899
    codec.decode(creds.session_token, creds.access_key_id)
    clock.now += 1
    assert _kind(codec, creds.session_token, creds.access_key_id) == "expired_token"


def test_rotation_keeps_old_keys_until_tokens_expire(tmp_path: Path) -> None:
    clock = Clock()
    codec = TokenCodec.open(tmp_path, clock)
    old_kid = codec.active_key_id
    old = codec.issue(SESSION, 900)
    new_kid = codec.rotate()
    assert new_kid != old_kid and codec.active_key_id == new_kid
    assert codec.issue(SESSION, 900).context.key_id == new_kid
    codec.decode(old.session_token, old.access_key_id)  # still valid after rotation
    reopened = TokenCodec.open(tmp_path, clock)
    reopened.decode(old.session_token, old.access_key_id)
    clock.now += MAX_SESSION_SECONDS + 1
    assert codec.prune() == [old_kid]
    assert _kind(codec, old.session_token, old.access_key_id) == "invalid_token"
    assert old_kid not in json.loads((tmp_path / "master-keys.json").read_text())["active"]


def test_removed_master_key(tmp_path: Path) -> None:
    codec = TokenCodec.open(tmp_path)
    old = codec.issue(SESSION, 900)
    old_kid = codec.active_key_id
    codec.rotate()
    codec.remove_key(old_kid)
    assert _kind(TokenCodec.open(tmp_path), old.session_token, old.access_key_id) == "invalid_token"
    with pytest.raises(ValueError):
        codec.remove_key(codec.active_key_id)


def test_describe_never_shows_key_material(tmp_path: Path) -> None:
    codec = TokenCodec.open(tmp_path)
    secret = json.loads((tmp_path / "master-keys.json").read_text())["keys"][0]["secret"]
    assert secret not in json.dumps(codec.describe())
