"""STS GetCallerIdentity end to end: boto3 and the aws CLI (v1) against `podid up`, users and sessions."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import botocore.exceptions
import pytest

from podid.auth.tokens import SessionContext, TokenCodec
from support.server import PodidServer

ACCOUNT = "111122223333"
ROLE_ID = "AROAQEXAMPLEROLEID01"


def _session(name: str = "build-42") -> SessionContext:
    return SessionContext(
        principal_arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/{name}",
        account=ACCOUNT,
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/team/app-role",
        role_id=ROLE_ID,
        session_name=name,
        tags={"team": "blue"},
    )


def _code(client_call: Callable[[], object]) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        client_call()
    return str(info.value.response["Error"]["Code"])


def test_user_boto3(podid_server: PodidServer) -> None:
    out = podid_server.client("sts").get_caller_identity()
    assert out["Account"] == ACCOUNT
    assert out["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/podid-admin"
    assert re.fullmatch(r"AIDA[A-Z2-7]{16}", out["UserId"])


def test_user_aws_cli(podid_server: PodidServer) -> None:
    result = podid_server.aws("sts", "get-caller-identity")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/podid-admin" and out["Account"] == ACCOUNT
    assert out == {
        k: v for k, v in podid_server.client("sts").get_caller_identity().items() if k != "ResponseMetadata"
    }


def test_aws_cli_other_region(podid_server: PodidServer) -> None:
    result = podid_server.aws(
        "sts", "get-caller-identity", "--region", "ap-northeast-2", "--query", "Account", "--output", "text"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ACCOUNT


def test_aws_cli_bad_secret(podid_server: PodidServer) -> None:
    creds = podid_server.state_dir / "credentials-bad"
    creds.write_text(
        f"[podid]\naws_access_key_id = {podid_server.access_key_id}\naws_secret_access_key = {'y' * 40}\n"
    )
    result = podid_server.aws("sts", "get-caller-identity")  # sanity: good file works
    assert result.returncode == 0
    import subprocess

    cmd = (
        f"source {podid_server.state_dir / 'env'} && AWS_SHARED_CREDENTIALS_FILE={creds} "
        "aws sts get-caller-identity"
    )
    bad = subprocess.run(
        ["bash", "-c", cmd], env=podid_server.env, capture_output=True, text=True, timeout=60
    )
    assert bad.returncode != 0
    assert "SignatureDoesNotMatch" in bad.stderr


@pytest.fixture
def seeded(tmp_path: Path, podid_server_factory: Callable[..., PodidServer]) -> dict[str, object]:
    """A private server whose state dir already has master keys and credentials issued under them."""
    state = tmp_path / "state"
    codec = TokenCodec.open(state)
    removed = codec.issue(_session("old"), 3600)
    removed_kid = codec.active_key_id
    codec.rotate()
    retired = codec.issue(_session("retired"), 3600)  # under a key that gets rotated out but kept
    codec.rotate()
    codec.remove_key(removed_kid)
    live = codec.issue(_session(), 3600)
    other = codec.issue(_session("other"), 3600)
    expired = TokenCodec(state / "master-keys.json", clock=lambda: time.time() - 7200).issue(
        _session("x"), 900
    )
    srv = podid_server_factory(state)
    return {
        "srv": srv,
        "live": live,
        "other": other,
        "removed": removed,
        "retired": retired,
        "expired": expired,
    }


def _creds(c: object) -> tuple[str, str, str]:
    return (c.access_key_id, c.secret_access_key, c.session_token)  # type: ignore[attr-defined]


def test_role_session_identity(seeded: dict[str, object]) -> None:
    srv: PodidServer = seeded["srv"]  # type: ignore[assignment]
    out = srv.client("sts", credentials=_creds(seeded["live"])).get_caller_identity()
    assert out["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/build-42"
    assert out["UserId"] == f"{ROLE_ID}:build-42"
    assert out["Account"] == ACCOUNT
    out = srv.client("sts", credentials=_creds(seeded["retired"])).get_caller_identity()
    assert out["UserId"] == f"{ROLE_ID}:retired"  # rotation keeps older keys' tokens valid


def test_role_session_aws_cli(seeded: dict[str, object]) -> None:
    srv: PodidServer = seeded["srv"]  # type: ignore[assignment]
    import subprocess

    akid, secret, token = _creds(seeded["live"])
    env = dict(srv.env, AWS_ACCESS_KEY_ID=akid, AWS_SECRET_ACCESS_KEY=secret, AWS_SESSION_TOKEN=token)
    env.pop("AWS_PROFILE", None)
    result = subprocess.run(
        ["aws", "sts", "get-caller-identity"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["UserId"] == f"{ROLE_ID}:build-42"


def test_token_rejections(seeded: dict[str, object]) -> None:
    srv: PodidServer = seeded["srv"]  # type: ignore[assignment]
    akid, secret, token = _creds(seeded["live"])
    sts = lambda c: srv.client("sts", credentials=c).get_caller_identity  # noqa: E731
    assert _code(sts(_creds(seeded["removed"]))) == "InvalidClientTokenId"
    assert _code(sts(_creds(seeded["expired"]))) == "ExpiredToken"
    o_akid, o_secret, o_token = _creds(seeded["other"])
    assert _code(sts((akid, secret, o_token))) == "InvalidClientTokenId"  # token bound to another key
    assert _code(sts((o_akid, secret, token))) == "InvalidClientTokenId"
    assert _code(sts((akid, secret, None))) == "InvalidClientTokenId"  # ASIA without a token
    assert _code(sts((akid, "z" * 40, token))) == "SignatureDoesNotMatch"  # right token, wrong secret
    assert _code(sts((srv.access_key_id, srv.secret_access_key, token))) == "InvalidClientTokenId"


def test_every_flipped_token_byte_rejected(seeded: dict[str, object]) -> None:
    srv: PodidServer = seeded["srv"]  # type: ignore[assignment]
    akid, secret, token = _creds(seeded["live"])
    raw = bytearray(base64.b64decode(token))
    accepted, codes = 0, set()
    for i in range(len(raw)):
        raw[i] ^= 0x01
        flipped = base64.b64encode(bytes(raw)).decode()
        raw[i] ^= 0x01
        try:
            srv.client("sts", credentials=(akid, secret, flipped)).get_caller_identity()
            accepted += 1
        except botocore.exceptions.ClientError as exc:
            codes.add(exc.response["Error"]["Code"])
    assert accepted == 0
    assert codes == {"InvalidClientTokenId"}


def test_audit_records_sessions_and_hides_tokens(seeded: dict[str, object]) -> None:
    srv: PodidServer = seeded["srv"]  # type: ignore[assignment]
    akid, secret, token = _creds(seeded["live"])
    srv.client("sts", credentials=(akid, secret, token)).get_caller_identity()
    events = srv.audit_events()
    ok = [e for e in events if e["userIdentity"].get("accessKeyId") == akid and "errorCode" not in e]
    assert ok and ok[-1]["userIdentity"]["type"] == "AssumedRole"
    assert ok[-1]["userIdentity"]["sessionContext"]["sessionIssuer"]["principalId"] == ROLE_ID
    text = (srv.state_dir / "audit.jsonl").read_text()
    assert token not in text and secret not in text and srv.secret_access_key not in text
