"""The real aws CLI against `podid up`: file:// documents, attach, versions, listings, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from iam_helpers import POD_TRUST, S3_READER


def _json(proc: Any) -> Any:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout) if proc.stdout.strip() else None


def test_cli_policy_role_attach(server: Any, tmp_path: Path) -> None:
    acct = server.account_id
    policy_file = tmp_path / "s3-reader.json"
    policy_file.write_text(json.dumps(S3_READER, indent=2))
    trust_file = tmp_path / "trust.json"
    trust_file.write_text(json.dumps(POD_TRUST, indent=2))

    pol = _json(
        server.aws(
            "iam",
            "create-policy",
            "--policy-name",
            "cli-reader",
            "--policy-document",
            f"file://{policy_file}",
        )
    )["Policy"]
    arn = f"arn:aws:iam::{acct}:policy/cli-reader"
    assert pol["Arn"] == arn and pol["DefaultVersionId"] == "v1"

    role = _json(
        server.aws(
            "iam",
            "create-role",
            "--role-name",
            "cli-role",
            "--assume-role-policy-document",
            f"file://{trust_file}",
        )
    )["Role"]
    assert role["AssumeRolePolicyDocument"] == POD_TRUST

    assert (
        _json(server.aws("iam", "attach-role-policy", "--role-name", "cli-role", "--policy-arn", arn)) is None
    )
    attached = _json(server.aws("iam", "list-attached-role-policies", "--role-name", "cli-role"))
    assert attached["AttachedPolicies"] == [{"PolicyName": "cli-reader", "PolicyArn": arn}]

    version = _json(server.aws("iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v1"))
    assert version["PolicyVersion"]["Document"] == S3_READER
    assert version["PolicyVersion"]["IsDefaultVersion"] is True

    got = _json(server.aws("iam", "get-policy", "--policy-arn", arn))["Policy"]
    assert got["AttachmentCount"] == 1


def test_cli_errors(server: Any, tmp_path: Path) -> None:
    trust_file = tmp_path / "trust.json"
    trust_file.write_text(json.dumps(POD_TRUST))
    proc = server.aws("iam", "get-role", "--role-name", "no-such-role")
    assert proc.returncode != 0
    assert (
        "An error occurred (NoSuchEntity) when calling the GetRole operation: "
        "The role with name no-such-role cannot be found." in proc.stderr
    )
    bad = tmp_path / "bad.json"
    bad.write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*"')
    proc = server.aws("iam", "create-policy", "--policy-name", "broken", "--policy-document", f"file://{bad}")
    assert proc.returncode != 0
    assert (
        "(MalformedPolicyDocument) when calling the CreatePolicy operation: Syntax errors in policy."
        in proc.stderr
    )
    proc = server.aws(
        "iam",
        "create-role",
        "--role-name",
        "too-long",
        "--max-session-duration",
        "50000",
        "--assume-role-policy-document",
        f"file://{trust_file}",
    )
    assert proc.returncode != 0 and "(ValidationError)" in proc.stderr
    listed = _json(server.aws("iam", "list-roles"))["Roles"]
    assert "too-long" not in [r["RoleName"] for r in listed]
    policies = _json(server.aws("iam", "list-policies", "--scope", "Local"))["Policies"]
    assert "broken" not in [p["PolicyName"] for p in policies]
