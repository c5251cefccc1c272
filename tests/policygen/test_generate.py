"""`podid policy generate` end to end: a workload (boto3 as a role with no policy) runs against
`podid up --mode record`; the generated policy validates and lints clean; the same workload replayed
against `podid up` in enforce mode with only that policy attached gets no denial, and calls outside
it are denied."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from support.server import PODID, PodidServer, start_podid

BUCKET = "gen-bucket"
ROLE = "app"


def _setup(srv: PodidServer) -> dict[str, str]:
    acct = srv.account_id
    srv.client("iam").create_role(
        RoleName=ROLE,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    s3 = srv.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for key in ("allowed/report.txt", "allowed/q1/sales.csv", "blocked/secret.txt", "config.json"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"data")
    url = srv.client("sqs").create_queue(QueueName="jobs")["QueueUrl"]
    secret = srv.client("secretsmanager").create_secret(Name="db", SecretString="pw")["ARN"]
    srv.client("sqs").create_queue(QueueName="other")
    return {"queue": url, "secret": secret}


def _as_role(srv: PodidServer) -> Callable[[str], Any]:
    c = srv.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{srv.account_id}:role/{ROLE}", RoleSessionName="workload"
    )["Credentials"]
    return lambda service: srv.client(
        service, credentials=(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    )


def _workload(client: Callable[[str], Any], ids: dict[str, str]) -> None:
    s3, sqs, sm = client("s3"), client("sqs"), client("secretsmanager")
    s3.list_objects_v2(Bucket=BUCKET, Prefix="allowed/")
    s3.list_objects_v2(Bucket=BUCKET, Prefix="allowed/q1/")
    s3.get_object(Bucket=BUCKET, Key="allowed/report.txt")["Body"].read()
    s3.get_object(Bucket=BUCKET, Key="allowed/q1/sales.csv")["Body"].read()
    s3.get_object(Bucket=BUCKET, Key="config.json")["Body"].read()
    s3.put_object(Bucket=BUCKET, Key="uploads/2026/a.bin", Body=b"1")
    s3.put_object(Bucket=BUCKET, Key="uploads/2026/b.bin", Body=b"2")
    sqs.send_message(QueueUrl=ids["queue"], MessageBody="job")
    sqs.receive_message(QueueUrl=ids["queue"], WaitTimeSeconds=0)
    sm.get_secret_value(SecretId=ids["secret"])


def _denied(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as exc:
        call()
    return str(exc.value.response["Error"]["Code"])


def _podid(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PODID), *args], env=env, capture_output=True, text=True, timeout=120)


def test_generate_replay_enforce(tmp_path: Path) -> None:
    state = tmp_path / "state"
    policy_file = tmp_path / "generated.json"
    with start_podid(state, extra_args=["--mode", "record"]) as srv:
        ids = _setup(srv)
        _workload(_as_role(srv), ids)  # no policy at all: every call "would be denied"
        events = [e for e in srv.audit_events() if (e.get("podid") or {}).get("enforced") is False]
        assert len(events) >= 10 and all("would be denied: needs" in e["podid"]["note"] for e in events)
        done = _podid(
            "policy",
            "generate",
            "--role",
            ROLE,
            "--since",
            "10m",
            "--state",
            str(state),
            "--output",
            str(policy_file),
            env=srv.env,
        )
        assert done.returncode == 0, done.stderr
        env = srv.env
    policy = json.loads(policy_file.read_text())
    bucket = f"arn:aws:s3:::{BUCKET}"
    by_action: dict[str, dict[str, Any]] = {}
    for stmt in policy["Statement"]:
        for action in [stmt["Action"]] if isinstance(stmt["Action"], str) else stmt["Action"]:
            by_action[action] = stmt
    assert set(by_action) == {
        "s3:ListBucket",
        "s3:GetObject",
        "s3:PutObject",
        "sqs:SendMessage",
        "sqs:ReceiveMessage",
        "secretsmanager:GetSecretValue",
    }
    assert by_action["s3:ListBucket"]["Resource"] == bucket
    assert by_action["s3:ListBucket"]["Condition"] == {"StringLike": {"s3:prefix": ["allowed/*"]}}
    assert sorted(by_action["s3:GetObject"]["Resource"]) == [f"{bucket}/allowed/*", f"{bucket}/config.json"]
    assert by_action["s3:PutObject"]["Resource"] == f"{bucket}/uploads/2026/*"
    assert by_action["sqs:SendMessage"] is by_action["sqs:ReceiveMessage"]
    assert by_action["sqs:SendMessage"]["Resource"] == "arn:aws:sqs:us-east-1:111122223333:jobs"
    assert by_action["secretsmanager:GetSecretValue"]["Resource"] == ids["secret"]
    for check in ("validate", "lint"):
        done = _podid("iam", check, str(policy_file), env=env)
        assert done.returncode == 0, done.stdout + done.stderr

    with start_podid(state) as srv:  # enforce mode, same state
        srv.client("iam").put_role_policy(
            RoleName=ROLE, PolicyName="generated", PolicyDocument=policy_file.read_text()
        )
        before = len(srv.audit_events())
        client = _as_role(srv)
        _workload(client, ids)
        replay = srv.audit_events()[before:]
        assert [e for e in replay if e["podid"]["decision"] not in ("allowed", "not_evaluated")] == []
        s3, sqs = client("s3"), client("sqs")
        assert _denied(lambda: s3.get_object(Bucket=BUCKET, Key="blocked/secret.txt")) == "AccessDenied"
        assert _denied(lambda: s3.list_objects_v2(Bucket=BUCKET, Prefix="blocked/")) == "AccessDenied"
        assert _denied(lambda: s3.put_object(Bucket=BUCKET, Key="allowed/x", Body=b"x")) == "AccessDenied"
        other = srv.client("sqs").get_queue_url(QueueName="other")["QueueUrl"]
        assert _denied(lambda: sqs.send_message(QueueUrl=other, MessageBody="x")) == "AccessDenied"
        assert _denied(lambda: sqs.delete_queue(QueueUrl=ids["queue"])) == "AccessDenied"


def test_generate_refuses_bad_input(tmp_path: Path, podid_server: PodidServer) -> None:
    state = str(podid_server.state_dir)
    cases = [
        (["--role", ROLE, "--since", "yesterday-ish", "--state", state], "--since 'yesterday-ish'"),
        (["--role", "nobody-ever", "--since", "1h", "--state", state], "no calls of the role were observed"),
        (["--role", ROLE, "--state", str(tmp_path / "none")], "no audit log at"),
    ]
    for args, message in cases:
        done = _podid("policy", "generate", *args, env=podid_server.env)
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)
