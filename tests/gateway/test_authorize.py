"""CallContext.authorize with the real store and the real judge (podid.iam): context keys, codes, cache."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from podid.auth.caller import Caller
from podid.auth.tokens import SessionContext, TokenCodec
from podid.errors import ServiceError
from podid.gateway.audit import AuditWriter
from podid.gateway.authz import PolicyCache, access_denied_code
from podid.gateway.context import CallContext
from podid.gateway.state import AppState, Config
from podid.store import Store

ACCT = "111122223333"


def _doc(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture
def state(tmp_path: Path) -> Iterator[AppState]:
    store = Store.open_dir(tmp_path)
    store.bootstrap_admin(ACCT)
    store.create_user(ACCT, "alice", tags=[{"Key": "team", "Value": "blue"}])
    store.put_inline_policy(
        ACCT,
        "user",
        "alice",
        "s3read",
        _doc(
            {
                "Sid": "Read",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue", "aws:username": "alice"}},
            },
            {
                "Sid": "NoSecret",
                "Effect": "Deny",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/secret",
            },
        ),
    )
    store.create_role(
        ACCT,
        "app",
        _doc(
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ),
    )
    store.put_inline_policy(
        ACCT,
        "role",
        "app",
        "sm",
        _doc(
            {
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/env": "dev"}},
            }
        ),
    )
    yield AppState(
        config=Config(state_dir=tmp_path),
        store=store,
        tokens=TokenCodec.open(tmp_path),
        audit=AuditWriter.open(tmp_path),
    )
    store.close()


def _ctx(state: AppState, caller: Caller, service: str = "s3") -> CallContext:
    return CallContext(
        service=service,
        operation="Op",
        params={},
        caller=caller,
        region="us-east-1",
        request_id="r",
        source_ip="127.0.0.1",
        app=state,
    )


def _alice(state: AppState) -> Caller:
    user = state.store.get_user(ACCT, "alice")
    return Caller(
        arn=user.arn, account=ACCT, user_id=user.user_id, kind="user", access_key_id=None, user_name="alice"
    )


def test_user_allowed_with_tag_and_username(state: AppState) -> None:
    ctx = _ctx(state, _alice(state))
    ctx.authorize("s3:GetObject", "arn:aws:s3:::b/key")
    assert ctx.decisions[-1].outcome == "allowed"
    assert ctx.decisions[-1].deciding and "Read" in ctx.decisions[-1].deciding


def test_explicit_and_implicit_deny(state: AppState) -> None:
    ctx = _ctx(state, _alice(state))
    with pytest.raises(ServiceError) as info:
        ctx.authorize("s3:GetObject", "arn:aws:s3:::b/secret")
    assert (info.value.code, info.value.status) == ("AccessDenied", 403)
    assert "with an explicit deny" in info.value.message
    assert ctx.decisions[-1].outcome == "explicit_deny"
    with pytest.raises(ServiceError) as info:
        ctx.authorize("s3:PutObject", "arn:aws:s3:::b/key")
    assert info.value.message.startswith("User: arn:aws:iam::111122223333:user/alice is not authorized")
    assert ctx.decisions[-1].outcome == "implicit_deny"


def test_json_service_code(state: AppState) -> None:
    ctx = _ctx(state, _alice(state), service="secretsmanager")
    with pytest.raises(ServiceError) as info:
        ctx.authorize("secretsmanager:GetSecretValue", "*")
    assert info.value.code == "AccessDeniedException"
    assert access_denied_code("eks") == ("AccessDeniedException", 403)
    assert access_denied_code("sts") == ("AccessDenied", 403)


def test_admin_allowed(state: AppState) -> None:
    key = state.store.bootstrap_admin(ACCT)
    admin = Caller(
        arn=key.user_arn,
        account=ACCT,
        user_id=key.user_id,
        kind="user",
        access_key_id=None,
        user_name="podid-admin",
    )
    _ctx(state, admin, "iam").authorize("iam:CreateRole", f"arn:aws:iam::{ACCT}:role/x")


def _role_session(state: AppState, tags: dict[str, str], policy: str | None = None) -> Caller:
    role = state.store.get_role(ACCT, "app")
    session = SessionContext(
        principal_arn=f"arn:aws:sts::{ACCT}:assumed-role/app/s",
        account=ACCT,
        role_arn=role.arn,
        role_id=role.role_id,
        session_name="s",
        tags=tags,
        session_policy=policy,
        issued=int(time.time()),
        expires=int(time.time()) + 900,
    )
    return Caller(
        arn=session.principal_arn,
        account=ACCT,
        user_id=session.user_id,
        kind="assumed-role",
        access_key_id="ASIAX",
        session=session,
    )


def test_role_session_tags_and_session_policy(state: AppState) -> None:
    _ctx(state, _role_session(state, {"env": "dev"}), "secretsmanager").authorize(
        "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:111122223333:secret:x"
    )
    with pytest.raises(ServiceError):
        _ctx(state, _role_session(state, {"env": "prod"}), "secretsmanager").authorize(
            "secretsmanager:GetSecretValue", "*"
        )
    narrow = _doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    with pytest.raises(ServiceError) as info:
        _ctx(state, _role_session(state, {"env": "dev"}, narrow), "secretsmanager").authorize(
            "secretsmanager:GetSecretValue", "*"
        )
    assert "session policy" in info.value.message


def test_cache_reuses_compiled_policies_until_iam_changes(state: AppState) -> None:
    ctx = _ctx(state, _alice(state))
    for _ in range(5):
        ctx.authorize("s3:GetObject", "arn:aws:s3:::b/key")
    cache: PolicyCache = state.policy_cache
    assert cache.misses == 1
    state.store.put_inline_policy(
        ACCT, "user", "alice", "s3read", _doc({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"})
    )
    ctx.authorize("s3:PutObject", "arn:aws:s3:::b/key")
    assert cache.misses == 2
    with pytest.raises(ServiceError):
        ctx.authorize("s3:GetObject", "arn:aws:s3:::b/key")
