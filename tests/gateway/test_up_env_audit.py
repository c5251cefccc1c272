"""`podid up` / `podid env` / `podid audit tail` and the audit log, through the real command line."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import botocore.exceptions

from podid.gateway.audit import REDACTED, redact
from support.server import PODID, PodidServer, clean_env


def _podid(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PODID), *args], capture_output=True, text=True, env=clean_env(), timeout=timeout
    )


def test_state_files(podid_server: PodidServer) -> None:
    state = podid_server.state_dir
    for name in ("credentials", "config", "env", "master-keys.json", "audit.jsonl"):
        assert stat.S_IMODE((state / name).stat().st_mode) == 0o600, name
    assert "[podid]" in (state / "credentials").read_text()
    config = (state / "config").read_text()
    assert "[profile podid]" in config and f"region = {podid_server.region}" in config
    env = (state / "env").read_text()
    for key in (
        "AWS_ENDPOINT_URL",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_CONFIG_FILE",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ):
        assert f"export {key}=" in env
    assert podid_server.url in env


def test_env_command_prints_env_file(podid_server: PodidServer) -> None:
    result = _podid("env", "--state", str(podid_server.state_dir))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (podid_server.state_dir / "env").read_text()


def test_refuses_non_loopback(tmp_path: Path) -> None:
    result = _podid("up", "--state", str(tmp_path / "s"), "--host", "0.0.0.0", "--port", "1")
    assert result.returncode == 2
    assert "--allow-remote" in result.stderr


def test_sigterm_stops_cleanly_and_restart_keeps_keys(
    tmp_path: Path, podid_server_factory: Callable[..., PodidServer]
) -> None:
    srv = podid_server_factory(tmp_path / "s")
    first = srv.client("sts").get_caller_identity()["UserId"]
    srv.process.send_signal(signal.SIGTERM)
    assert srv.process.wait(timeout=20) == 0
    assert not (srv.state_dir / "env").exists()
    again = podid_server_factory(tmp_path / "s")
    assert again.access_key_id == srv.access_key_id
    assert again.client("sts").get_caller_identity()["UserId"] == first


def test_audit_events(podid_server: PodidServer) -> None:
    sts = podid_server.client("sts")
    rid = sts.get_caller_identity()["ResponseMetadata"]["RequestId"]
    bad = podid_server.client("sts", credentials=(podid_server.access_key_id, "q" * 40))
    try:
        bad.get_caller_identity()
    except botocore.exceptions.ClientError as exc:
        bad_rid = exc.response["ResponseMetadata"]["RequestId"]
    events = {e["requestID"]: e for e in podid_server.audit_events()}
    ok = events[rid]
    assert ok["eventSource"] == "sts.amazonaws.com" and ok["eventName"] == "GetCallerIdentity"
    assert ok["eventVersion"] and ok["eventTime"].endswith("Z") and ok["awsRegion"] == podid_server.region
    ident = ok["userIdentity"]
    assert ident["type"] == "IAMUser" and ident["arn"].endswith(":user/podid-admin")
    assert (
        ident["accountId"] == podid_server.account_id and ident["accessKeyId"] == podid_server.access_key_id
    )
    assert ident["principalId"].startswith("AIDA")
    assert ok["sourceIPAddress"] == "127.0.0.1" and "Boto3" in ok["userAgent"]
    assert "errorCode" not in ok and "decision" in ok["podid"]
    failed = events[bad_rid]
    assert failed["errorCode"] == "SignatureDoesNotMatch" and failed["errorMessage"]
    assert failed["podid"]["decision"] == "authentication_failed"
    assert failed["userIdentity"] == {"type": "Unknown", "accessKeyId": podid_server.access_key_id}
    assert podid_server.secret_access_key not in (podid_server.state_dir / "audit.jsonl").read_text()


def test_audit_tail(podid_server: PodidServer) -> None:
    sts = podid_server.client("sts")
    sts.get_caller_identity()    # two events of its own: -n 2 must not rely on earlier tests' calls
    sts.get_caller_identity()
    result = _podid("audit", "tail", "--state", str(podid_server.state_dir), "-n", "1")
    assert result.returncode == 0, result.stderr
    assert "sts:GetCallerIdentity" in result.stdout and len(result.stdout.splitlines()) == 1
    raw = _podid("audit", "tail", "--state", str(podid_server.state_dir), "-n", "2", "--json")
    assert [json.loads(line)["eventVersion"] for line in raw.stdout.splitlines()] == ["1.08", "1.08"]
    follow = _podid(
        "audit", "tail", "--state", str(podid_server.state_dir), "-n", "0", "--follow", "--max-seconds", "0.5"
    )
    assert follow.returncode == 0


def test_redaction() -> None:
    params = {
        "SecretId": "s",
        "SecretString": "hunter2",
        "Password": "p",
        "WebIdentityToken": "jwt",
        "PolicyDocument": '{"Statement":[]}',
        "NextToken": "n",
        "Tags": [{"Key": "k", "Value": "v"}],
        "Body": b"\x00\x01",
        "Nested": {"NewPassword": "x", "SessionToken": "t"},
    }
    out = redact(params)
    assert out["SecretId"] == "s" and out["PolicyDocument"] == '{"Statement":[]}' and out["NextToken"] == "n"
    for key in ("SecretString", "Password", "WebIdentityToken", "Body"):
        assert out[key] == REDACTED, key
    assert out["Nested"] == {"NewPassword": REDACTED, "SessionToken": REDACTED}
    assert out["Tags"] == [{"Key": "k", "Value": "v"}]
