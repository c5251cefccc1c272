"""STS AssumeRole end to end: boto3 and the aws CLI against a real `podid up`; the issued session is
then used (GetCallerIdentity, IAM calls judged with its session policy and session tags)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from sts_helpers import ACCOUNT, ADMIN_ARN, allow, creds, doc, error, trust

from support.server import PodidServer, clean_env, start_podid

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/team/app-role"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodidServer]:
    """A private server with roles and a non-admin user for this module."""
    with start_podid(tmp_path_factory.mktemp("podid-assume-role")) as server:
        iam = server.client("iam")
        iam.create_role(
            RoleName="app-role",
            Path="/team/",
            MaxSessionDuration=7200,
            AssumeRolePolicyDocument=trust({"AWS": ADMIN_ARN}),
        )
        iam.put_role_policy(
            RoleName="app-role",
            PolicyName="iam-read",
            PolicyDocument=allow(["iam:ListRoles", "iam:ListUsers", "sts:AssumeRole"]),
        )
        iam.create_role(
            RoleName="tagged",
            AssumeRolePolicyDocument=trust(
                {"AWS": ADMIN_ARN}, ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
            ),
        )
        iam.put_role_policy(
            RoleName="tagged",
            PolicyName="by-tag",
            PolicyDocument=doc(
                [
                    {
                        "Effect": "Allow",
                        "Action": ["iam:ListUsers", "sts:AssumeRole", "sts:TagSession"],
                        "Resource": "*",
                    },
                    {
                        "Effect": "Allow",
                        "Action": "iam:ListRoles",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}},
                    },
                ]
            ),
        )
        iam.create_role(
            RoleName="chained",
            AssumeRolePolicyDocument=trust(
                {
                    "AWS": [
                        f"arn:aws:iam::{ACCOUNT}:role/team/app-role",
                        f"arn:aws:iam::{ACCOUNT}:role/tagged",
                    ]
                },
                ["sts:AssumeRole", "sts:TagSession"],
            ),
        )
        iam.put_role_policy(
            RoleName="chained",
            PolicyName="by-tag",
            PolicyDocument=allow(
                "iam:ListRoles", condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}
            ),
        )
        iam.create_role(RoleName="account-trust", AssumeRolePolicyDocument=trust({"AWS": ACCOUNT}))
        iam.create_role(
            RoleName="nobody",
            AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:user/someone-else"}),
        )
        iam.create_role(
            RoleName="external",
            AssumeRolePolicyDocument=trust(
                {"AWS": ADMIN_ARN}, condition={"StringEquals": {"sts:ExternalId": "ext-1234"}}
            ),
        )
        iam.create_user(UserName="dev")
        key = iam.create_access_key(UserName="dev")["AccessKey"]
        server.env["DEV_KEY"] = key["AccessKeyId"]
        server.env["DEV_SECRET"] = key["SecretAccessKey"]
        yield server


def _dev(srv: PodidServer, service: str = "sts", **kw: Any) -> Any:
    return srv.client(service, credentials=(srv.env["DEV_KEY"], srv.env["DEV_SECRET"]), **kw)


def _session(srv: PodidServer, out: dict[str, Any], service: str = "sts") -> Any:
    return srv.client(service, credentials=creds(out))


def test_assume_role_boto3_and_use_it(srv: PodidServer) -> None:
    before = dt.datetime.now(dt.UTC)
    out = srv.client("sts").assume_role(RoleArn=ROLE_ARN, RoleSessionName="s1")
    c = out["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", c["AccessKeyId"]) and len(c["SecretAccessKey"]) == 40
    assert abs((c["Expiration"] - before).total_seconds() - 3600) < 30
    user = out["AssumedRoleUser"]
    assert user["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/s1"  # no path in the session ARN
    role_id = srv.client("iam").get_role(RoleName="app-role")["Role"]["RoleId"]
    assert user["AssumedRoleId"] == f"{role_id}:s1"
    assert "PackedPolicySize" not in out and "SourceIdentity" not in out
    me = _session(srv, out).get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/s1"
    assert me["UserId"] == f"{role_id}:s1" and me["Account"] == ACCOUNT
    assert _session(srv, out, "iam").list_roles()["Roles"]  # the role's policy applies to the session
    code, message, status = error(_session(srv, out, "iam").create_user, UserName="x")
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(f"User: arn:aws:sts::{ACCOUNT}:assumed-role/app-role/s1 is not authorized")


def test_assume_role_aws_cli(srv: PodidServer) -> None:
    result = srv.aws(
        "sts",
        "assume-role",
        "--role-arn",
        ROLE_ARN,
        "--role-session-name",
        "s1",
        "--duration-seconds",
        "7200",
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/s1"
    expiration = dt.datetime.fromisoformat(out["Credentials"]["Expiration"])
    assert abs((expiration - dt.datetime.now(dt.UTC)).total_seconds() - 7200) < 60
    c = out["Credentials"]
    env = clean_env()
    env.update(
        AWS_ENDPOINT_URL=srv.url,
        AWS_ACCESS_KEY_ID=c["AccessKeyId"],
        AWS_DEFAULT_REGION=srv.region,
        AWS_SECRET_ACCESS_KEY=c["SecretAccessKey"],
        AWS_SESSION_TOKEN=c["SessionToken"],
    )
    who = subprocess.run(
        ["aws", "sts", "get-caller-identity"], env=env, capture_output=True, text=True, timeout=60
    )
    assert who.returncode == 0, who.stderr
    assert json.loads(who.stdout)["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/s1"


def test_trust_not_allowing_is_denied(srv: PodidServer) -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:role/nobody"
    assert error(srv.client("sts").assume_role, RoleArn=arn, RoleSessionName="s1") == (
        "AccessDenied",
        f"User: {ADMIN_ARN} is not authorized to perform: sts:AssumeRole on resource: {arn}",
        403,
    )
    missing = f"arn:aws:iam::{ACCOUNT}:role/does-not-exist"
    assert error(srv.client("sts").assume_role, RoleArn=missing, RoleSessionName="s1") == (
        "AccessDenied",
        f"User: {ADMIN_ARN} is not authorized to perform: sts:AssumeRole on resource: {missing}",
        403,
    )
    path_mismatch = f"arn:aws:iam::{ACCOUNT}:role/app-role"  # the role lives under /team/
    assert (
        error(srv.client("sts").assume_role, RoleArn=path_mismatch, RoleSessionName="s1")[0] == "AccessDenied"
    )
    events = [
        e
        for e in srv.audit_events()
        if e.get("eventName") == "AssumeRole" and e.get("errorCode") == "AccessDenied"
    ]
    assert events and events[-1]["podid"]["decision"] == "implicit_deny"


def test_account_trust_delegates_to_identity_policies(srv: PodidServer) -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:role/account-trust"
    dev_arn = f"arn:aws:iam::{ACCOUNT}:user/dev"
    assert error(_dev(srv).assume_role, RoleArn=arn, RoleSessionName="s1") == (
        "AccessDenied",
        f"User: {dev_arn} is not authorized to perform: sts:AssumeRole on resource: {arn}",
        403,
    )
    srv.client("iam").put_user_policy(
        UserName="dev", PolicyName="assume", PolicyDocument=allow("sts:AssumeRole", arn)
    )
    try:
        out = _dev(srv).assume_role(RoleArn=arn, RoleSessionName="dev-session")
        assert (
            out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/account-trust/dev-session"
        )
        # the admin has AdministratorAccess, so account delegation lets it in too
        srv.client("sts").assume_role(RoleArn=arn, RoleSessionName="admin")
    finally:
        srv.client("iam").delete_user_policy(UserName="dev", PolicyName="assume")


def test_trust_naming_the_user_needs_no_identity_policy(srv: PodidServer) -> None:
    iam = srv.client("iam")
    iam.create_role(
        RoleName="dev-direct", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:user/dev"})
    )
    out = _dev(srv).assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/dev-direct", RoleSessionName="dd")
    assert _session(srv, out).get_caller_identity()["Arn"].endswith(":assumed-role/dev-direct/dd")


def test_tags_need_tag_session(srv: PodidServer) -> None:
    sts = srv.client("sts")
    code, message, status = error(
        sts.assume_role, RoleArn=ROLE_ARN, RoleSessionName="s1", Tags=[{"Key": "team", "Value": "blue"}]
    )
    assert (code, status) == ("AccessDenied", 403)
    assert (
        message == f"User: {ADMIN_ARN} is not authorized to perform: sts:TagSession on resource: {ROLE_ARN}"
    )
    out = sts.assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/tagged",
        RoleSessionName="s1",
        Tags=[{"Key": "team", "Value": "blue"}],
    )
    assert 1 <= out["PackedPolicySize"] <= 100


def test_session_tags_are_principal_tags(srv: PodidServer) -> None:
    sts, arn = srv.client("sts"), f"arn:aws:iam::{ACCOUNT}:role/tagged"
    blue = sts.assume_role(RoleArn=arn, RoleSessionName="blue", Tags=[{"Key": "team", "Value": "blue"}])
    red = sts.assume_role(RoleArn=arn, RoleSessionName="red", Tags=[{"Key": "team", "Value": "red"}])
    assert _session(srv, blue, "iam").list_roles()["Roles"]
    assert error(_session(srv, red, "iam").list_roles)[0] == "AccessDenied"
    assert _session(srv, red, "iam").list_users()["Users"]


def test_session_policy_limits_the_session(srv: PodidServer) -> None:
    out = srv.client("sts").assume_role(
        RoleArn=ROLE_ARN, RoleSessionName="narrow", Policy=allow("iam:ListUsers")
    )
    assert 1 <= out["PackedPolicySize"] <= 100
    iam = _session(srv, out, "iam")
    assert iam.list_users()["Users"]
    code, message, status = error(iam.list_roles)
    assert (code, status) == ("AccessDenied", 403)
    assert "iam:ListRoles" in message and "session policy" in message
    # a session policy never grants beyond the role: iam:CreateUser stays denied
    wide = srv.client("sts").assume_role(RoleArn=ROLE_ARN, RoleSessionName="wide", Policy=allow("*"))
    assert error(_session(srv, wide, "iam").create_user, UserName="nope")[0] == "AccessDenied"


def test_managed_session_policies(srv: PodidServer) -> None:
    sts = srv.client("sts")
    out = sts.assume_role(
        RoleArn=ROLE_ARN,
        RoleSessionName="managed",
        PolicyArns=[{"arn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}],
    )
    assert error(_session(srv, out, "iam").list_roles)[0] == "AccessDenied"  # S3-only session policy
    both = sts.assume_role(
        RoleArn=ROLE_ARN,
        RoleSessionName="both",
        Policy=allow("iam:ListRoles"),
        PolicyArns=[
            {"arn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"},
            {"arn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"},
        ],
    )
    assert _session(srv, both, "iam").list_roles()["Roles"]
    assert _session(srv, both, "iam").list_users()["Users"]  # IAMReadOnlyAccess allows it
    code, message, _ = error(
        sts.assume_role,
        RoleArn=ROLE_ARN,
        RoleSessionName="xx",
        PolicyArns=[{"arn": f"arn:aws:iam::{ACCOUNT}:policy/missing"}],
    )
    assert code == "ValidationError" and "does not exist" in message
    code, _, _ = error(
        sts.assume_role,
        RoleArn=ROLE_ARN,
        RoleSessionName="xx",
        PolicyArns=[{"arn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}] * 11,
    )
    assert code == "ValidationError"


def test_malformed_and_oversized_session_policy(srv: PodidServer) -> None:
    sts = srv.client("sts")
    code, _, status = error(
        sts.assume_role, RoleArn=ROLE_ARN, RoleSessionName="xx", Policy='{"Statement": 1}'
    )
    assert (code, status) == ("MalformedPolicyDocument", 400)
    big = allow([f"iam:Get{'X' * 40}{i}" for i in range(60)])
    assert len(big) > 2048
    code, message, status = error(sts.assume_role, RoleArn=ROLE_ARN, RoleSessionName="xx", Policy=big)
    assert (code, status) == ("ValidationError", 400)
    assert message.endswith(
        "at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048"
    )


def test_packed_policy_too_large(srv: PodidServer) -> None:
    import secrets

    tags = [{"Key": f"k{i}-{secrets.token_hex(40)}", "Value": secrets.token_hex(120)} for i in range(50)]
    code, message, status = error(
        srv.client("sts").assume_role,
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/tagged",
        RoleSessionName="xx",
        Tags=tags,
    )
    assert (code, status) == ("PackedPolicyTooLarge", 400)
    assert "exceeds the limit" in message


def test_validation_errors(srv: PodidServer) -> None:
    sts = srv.client("sts", parameter_validation=False)
    assert error(sts.assume_role, RoleArn=ROLE_ARN, RoleSessionName="bad name!") == (
        "ValidationError",
        "1 validation error detected: Value 'bad name!' at 'roleSessionName' failed to satisfy "
        r"constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*",
        400,
    )
    assert error(sts.assume_role, RoleArn=ROLE_ARN, RoleSessionName="s", DurationSeconds=899) == (
        "ValidationError",
        "2 validation errors detected: Value 's' at 'roleSessionName' failed to satisfy "
        "constraint: Member must have length greater than or equal to 2; Value '899' at 'durationSeconds' "
        "failed to satisfy constraint: Member must have value greater than or equal to 900",
        400,
    )
    assert error(sts.assume_role, RoleArn=ROLE_ARN, RoleSessionName="s1", DurationSeconds=10800) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        400,
    )
    assert error(sts.assume_role, RoleArn="arn:aws:iam::111122223333:user/dev", RoleSessionName="s1") == (
        "ValidationError",
        "Request ARN is invalid",
        400,
    )
    code, message, _ = error(
        sts.assume_role,
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/tagged",
        RoleSessionName="s1",
        Tags=[{"Key": "Team", "Value": "a"}, {"Key": "team", "Value": "b"}],
    )
    assert code == "ValidationError" and "case insensitive" in message
    code, message, _ = error(
        sts.assume_role,
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/tagged",
        RoleSessionName="s1",
        Tags=[{"Key": "bad!key", "Value": "a"}],
    )
    assert code == "ValidationError" and "tags.1.member.key" in message


def test_role_chaining_limited_to_one_hour(srv: PodidServer) -> None:
    first = srv.client("sts").assume_role(RoleArn=ROLE_ARN, RoleSessionName="hop1")
    sts = _session(srv, first)
    target = f"arn:aws:iam::{ACCOUNT}:role/chained"
    assert error(sts.assume_role, RoleArn=target, RoleSessionName="hop2", DurationSeconds=3601) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        400,
    )
    out = sts.assume_role(RoleArn=target, RoleSessionName="hop2", DurationSeconds=3600)
    assert (
        _session(srv, out).get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/chained/hop2"
    )
    # a role session can assume only what its trust allows
    denied = error(sts.assume_role, RoleArn=f"arn:aws:iam::{ACCOUNT}:role/nobody", RoleSessionName="hop2")
    assert denied[0] == "AccessDenied"
    assert denied[1].startswith(f"User: arn:aws:sts::{ACCOUNT}:assumed-role/app-role/hop1 is not authorized")


def test_session_policy_of_the_caller_limits_assume_role(srv: PodidServer) -> None:
    narrow = srv.client("sts").assume_role(
        RoleArn=ROLE_ARN, RoleSessionName="narrow", Policy=allow("iam:ListUsers")
    )
    # trust names the role ARN (not the session), so the session policy must allow sts:AssumeRole
    code, _, _ = error(
        _session(srv, narrow).assume_role,
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/chained",
        RoleSessionName="hop2",
    )
    assert code == "AccessDenied"


def test_transitive_tags_flow_through_the_chain(srv: PodidServer) -> None:
    tagged = f"arn:aws:iam::{ACCOUNT}:role/tagged"
    target = f"arn:aws:iam::{ACCOUNT}:role/chained"
    sts = srv.client("sts")
    transitive = sts.assume_role(
        RoleArn=tagged,
        RoleSessionName="tt",
        Tags=[{"Key": "team", "Value": "blue"}],
        TransitiveTagKeys=["team"],
    )
    plain = sts.assume_role(RoleArn=tagged, RoleSessionName="pp", Tags=[{"Key": "team", "Value": "blue"}])
    hop = _session(srv, transitive).assume_role(RoleArn=target, RoleSessionName="hop")
    assert hop["PackedPolicySize"] >= 1
    assert _session(srv, hop, "iam").list_roles()["Roles"]  # inherited team=blue
    hop_plain = _session(srv, plain).assume_role(RoleArn=target, RoleSessionName="hop")
    assert error(_session(srv, hop_plain, "iam").list_roles)[0] == "AccessDenied"
    # an inherited transitive key cannot be overridden
    code, _, status = error(
        _session(srv, transitive).assume_role,
        RoleArn=target,
        RoleSessionName="hop",
        Tags=[{"Key": "TEAM", "Value": "red"}],
    )
    assert status == 400 and code == "InvalidParameterValue"


def test_source_identity(srv: PodidServer) -> None:
    sts = srv.client("sts")
    code, message, _ = error(sts.assume_role, RoleArn=ROLE_ARN, RoleSessionName="s1", SourceIdentity="alice")
    assert code == "AccessDenied" and "sts:SetSourceIdentity" in message
    out = sts.assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/tagged", RoleSessionName="s1", SourceIdentity="alice"
    )
    assert out["SourceIdentity"] == "alice"
    events = [e for e in srv.audit_events() if e.get("eventName") == "GetCallerIdentity"]
    _session(srv, out).get_caller_identity()
    events = [e for e in srv.audit_events() if e.get("eventName") == "GetCallerIdentity"][len(events) :]
    assert events[-1]["userIdentity"]["sessionContext"]["sourceIdentity"] == "alice"


def test_external_id(srv: PodidServer) -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:role/external"
    sts = srv.client("sts")
    assert error(sts.assume_role, RoleArn=arn, RoleSessionName="s1")[0] == "AccessDenied"
    assert (
        error(sts.assume_role, RoleArn=arn, RoleSessionName="s1", ExternalId="wrong-1")[0] == "AccessDenied"
    )
    assert sts.assume_role(RoleArn=arn, RoleSessionName="s1", ExternalId="ext-1234")["AssumedRoleUser"]


def test_tampered_session_token_is_rejected(srv: PodidServer) -> None:
    out = srv.client("sts").assume_role(RoleArn=ROLE_ARN, RoleSessionName="s1")
    akid, secret, token = creds(out)
    raw = bytearray(base64.b64decode(token))
    raw[-5] ^= 0x01
    forged = base64.b64encode(bytes(raw)).decode()
    bad = srv.client("sts", credentials=(akid, secret, forged))
    assert error(bad.get_caller_identity)[:1] == ("InvalidClientTokenId",)
    wrong_secret = srv.client("sts", credentials=(akid, "x" * 40, token))
    assert error(wrong_secret.get_caller_identity)[0] == "SignatureDoesNotMatch"
    other = srv.client("sts").assume_role(RoleArn=ROLE_ARN, RoleSessionName="s2")
    swapped = srv.client("sts", credentials=(akid, secret, other["Credentials"]["SessionToken"]))
    assert error(swapped.get_caller_identity)[0] == "InvalidClientTokenId"
