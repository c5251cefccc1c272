"""IAM handlers called in-process with a real CallContext: every failing call leaves the store as it was.

The store's generation counter is bumped by every committed IAM write, so "unchanged generation"
after a failure means no write was committed (a stronger check than looking at a few entities).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from iam_helpers import POD_TRUST, S3_READER, doc

import podid.iamapi.handlers  # noqa: F401 - registers the handlers
from podid.auth.caller import Caller
from podid.errors import ServiceError
from podid.gateway.context import CallContext
from podid.gateway.registry import get_handler
from podid.gateway.state import AppState, Config
from podid.store import Store

ACCT = "111122223333"


@pytest.fixture
def app(tmp_path: Path) -> Any:
    store = Store.open(f"sqlite:///{tmp_path / 'podid.db'}")
    admin = store.bootstrap_admin(ACCT)
    state = AppState(config=Config(state_dir=tmp_path), store=store, tokens=None, audit=None)  # type: ignore[arg-type]
    caller = Caller(
        arn=admin.user_arn,
        account=ACCT,
        user_id=admin.user_id,
        kind="user",
        access_key_id=admin.access_key_id,
        user_name="podid-admin",
    )
    yield state, caller
    store.close()


def call(app: Any, operation: str, **params: Any) -> dict[str, Any]:
    state, caller = app
    fn = get_handler("iam", operation)
    assert fn is not None, operation
    ctx = CallContext(
        service="iam",
        operation=operation,
        params=params,
        caller=caller,
        region="us-east-1",
        request_id=str(uuid.uuid4()),
        source_ip="127.0.0.1",
        app=state,
    )
    return fn(ctx)


FAILURES: list[tuple[str, dict[str, Any], str]] = [
    ("CreateRole", {"RoleName": "r", "AssumeRolePolicyDocument": doc(POD_TRUST)}, "EntityAlreadyExists"),
    ("CreateRole", {"RoleName": "n", "AssumeRolePolicyDocument": doc(S3_READER)}, "MalformedPolicyDocument"),
    (
        "CreateRole",
        {"RoleName": "n", "AssumeRolePolicyDocument": doc(POD_TRUST), "MaxSessionDuration": 99999},
        "ValidationError",
    ),
    (
        "CreateRole",
        {
            "RoleName": "n",
            "AssumeRolePolicyDocument": doc(POD_TRUST),
            "PermissionsBoundary": f"arn:aws:iam::{ACCT}:policy/none",
        },
        "NoSuchEntity",
    ),
    ("UpdateRole", {"RoleName": "r", "MaxSessionDuration": 50000}, "ValidationError"),
    ("UpdateAssumeRolePolicy", {"RoleName": "r", "PolicyDocument": "{"}, "MalformedPolicyDocument"),
    ("DeleteRole", {"RoleName": "r"}, "DeleteConflict"),
    (
        "TagRole",
        {"RoleName": "r", "Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(51)]},
        "ValidationError",
    ),
    ("CreatePolicy", {"PolicyName": "p", "PolicyDocument": doc(S3_READER)}, "EntityAlreadyExists"),
    ("CreatePolicy", {"PolicyName": "q", "PolicyDocument": doc(POD_TRUST)}, "MalformedPolicyDocument"),
    (
        "CreatePolicyVersion",
        {"PolicyArn": f"arn:aws:iam::{ACCT}:policy/p", "PolicyDocument": "{"},
        "MalformedPolicyDocument",
    ),
    ("DeletePolicy", {"PolicyArn": f"arn:aws:iam::{ACCT}:policy/p"}, "DeleteConflict"),
    (
        "DeletePolicyVersion",
        {"PolicyArn": f"arn:aws:iam::{ACCT}:policy/p", "VersionId": "v1"},
        "DeleteConflict",
    ),
    ("AttachRolePolicy", {"RoleName": "r", "PolicyArn": f"arn:aws:iam::{ACCT}:policy/none"}, "NoSuchEntity"),
    ("AttachRolePolicy", {"RoleName": "none", "PolicyArn": f"arn:aws:iam::{ACCT}:policy/p"}, "NoSuchEntity"),
    (
        "DetachRolePolicy",
        {"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        "NoSuchEntity",
    ),
    (
        "PutRolePolicy",
        {"RoleName": "r", "PolicyName": "i", "PolicyDocument": "[]"},
        "MalformedPolicyDocument",
    ),
    ("DeleteRolePolicy", {"RoleName": "r", "PolicyName": "none"}, "NoSuchEntity"),
    (
        "PutRolePermissionsBoundary",
        {"RoleName": "r", "PermissionsBoundary": f"arn:aws:iam::{ACCT}:policy/none"},
        "NoSuchEntity",
    ),
    ("CreateUser", {"UserName": "podid-admin"}, "EntityAlreadyExists"),
    ("DeleteUser", {"UserName": "podid-admin"}, "DeleteConflict"),
    ("CreateAccessKey", {"UserName": "u"}, "LimitExceeded"),
    ("DeleteAccessKey", {"UserName": "u", "AccessKeyId": "AKIAAAAAAAAAAAAAAAAA"}, "NoSuchEntity"),
    ("CreateOpenIDConnectProvider", {"Url": "https://issuer.example/id/1"}, "EntityAlreadyExists"),
    ("CreateOpenIDConnectProvider", {"Url": "issuer.example"}, "InvalidInput"),
    (
        "DeleteOpenIDConnectProvider",
        {"OpenIDConnectProviderArn": f"arn:aws:iam::{ACCT}:oidc-provider/x"},
        "NoSuchEntity",
    ),
]


def test_failures_change_nothing(app: Any) -> None:
    state, _ = app
    call(app, "CreateRole", RoleName="r", AssumeRolePolicyDocument=doc(POD_TRUST))
    call(app, "AttachRolePolicy", RoleName="r", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    arn = call(app, "CreatePolicy", PolicyName="p", PolicyDocument=doc(S3_READER))["Policy"]["Arn"]
    call(app, "CreatePolicyVersion", PolicyArn=arn, PolicyDocument=doc(S3_READER))
    call(app, "AttachUserPolicy", UserName="podid-admin", PolicyArn=arn)
    call(app, "CreateUser", UserName="u")
    call(app, "CreateAccessKey", UserName="u")
    call(app, "CreateAccessKey", UserName="u")
    call(
        app,
        "CreateOpenIDConnectProvider",
        Url="https://issuer.example/id/1",
        ClientIDList=["sts.amazonaws.com"],
    )
    generation = state.store.generation()
    for operation, params, code in FAILURES:
        with pytest.raises(ServiceError) as info:
            call(app, operation, **params)
        assert info.value.code == code, (operation, info.value)
        assert state.store.generation() == generation, operation
