"""podid.sts.sessions without HTTP: the API EKS Auth uses (a real Store and TokenCodec, no mocks)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sts_helpers import ACCOUNT, trust

from podid.auth.tokens import TokenCodec
from podid.errors import ServiceError
from podid.store import Store
from podid.sts.sessions import (
    SessionRequest,
    TrustDenied,
    assume_role_as,
    check_trust,
    find_role,
    issue_session,
    packed_percent,
    prepare_session,
    validate_request,
)

POD_TRUST = trust({"Service": "pods.eks.amazonaws.com"}, ["sts:AssumeRole", "sts:TagSession"])
EKS_TAGS = (
    ("eks-cluster-name", "demo"),
    ("kubernetes-namespace", "default"),
    ("kubernetes-service-account", "my-sa"),
)


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[tuple[Store, TokenCodec]]:
    store = Store.open_dir(tmp_path)
    store.create_role(ACCOUNT, "pod-role", POD_TRUST)
    store.create_role(ACCOUNT, "no-tags", trust({"Service": "pods.eks.amazonaws.com"}))
    store.create_role(
        ACCOUNT,
        "target",
        trust({"AWS": f"arn:aws:iam::{ACCOUNT}:role/pod-role"}, ["sts:AssumeRole", "sts:TagSession"]),
        path="/apps/",
    )
    try:
        yield store, TokenCodec.open(tmp_path)
    finally:
        store.close()


def _req(role: str = "pod-role") -> SessionRequest:
    return SessionRequest(
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/{role}",
        session_name="eks-demo-pod-1234",
        tags=EKS_TAGS,
        transitive_tag_keys=tuple(k for k, _ in EKS_TAGS),
    )


def test_service_principal_session(env: tuple[Store, TokenCodec]) -> None:
    store, tokens = env
    issued = assume_role_as(store, tokens, _req(), principal="pods.eks.amazonaws.com", duration=6 * 3600)
    ctx = issued.credentials.context
    assert issued.assumed_role_arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/pod-role/eks-demo-pod-1234"
    assert ctx.tags == dict(EKS_TAGS) and set(ctx.transitive_tag_keys) == {k for k, _ in EKS_TAGS}
    assert ctx.expires - ctx.issued == 6 * 3600  # fixed by the service, beyond MaxSessionDuration
    decoded = tokens.decode(issued.credentials.session_token, issued.credentials.access_key_id)
    assert decoded.principal_arn == issued.assumed_role_arn
    out = issued.sts_output()
    assert out["AssumedRoleUser"]["AssumedRoleId"] == f"{ctx.role_id}:eks-demo-pod-1234"
    assert 1 <= out["PackedPolicySize"] <= 100


def test_tag_session_required_and_missing_role(env: tuple[Store, TokenCodec]) -> None:
    store, tokens = env
    with pytest.raises(TrustDenied) as info:
        assume_role_as(store, tokens, _req("no-tags"), principal="pods.eks.amazonaws.com")
    assert info.value.action == "sts:TagSession"
    with pytest.raises(TrustDenied):
        assume_role_as(store, tokens, _req("missing"), principal="pods.eks.amazonaws.com")
    with pytest.raises(TrustDenied) as info:
        assume_role_as(store, tokens, _req(), principal="ec2.amazonaws.com")
    assert info.value.action == "sts:AssumeRole"


def test_chaining_from_a_session_inherits_transitive_tags(env: tuple[Store, TokenCodec]) -> None:
    store, tokens = env
    first = assume_role_as(store, tokens, _req(), principal="pods.eks.amazonaws.com").credentials.context
    req = SessionRequest(
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/apps/target",
        session_name="eks-demo-pod-1234",
        policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
            }
        ),
    )
    validate_request(req)
    role = find_role(store, req.role_arn)
    assert role is not None and find_role(store, f"arn:aws:iam::{ACCOUNT}:role/target") is None
    session = prepare_session(store, role, req, caller_session=first, chained=True)
    assert session.tags == dict(EKS_TAGS) and session.tagging
    for action in ("sts:AssumeRole", "sts:TagSession"):  # trust names the role: no identity policy needed
        check_trust(session, principal=first.principal_arn, principal_type="AWS", action=action)
    issued = issue_session(tokens, session, duration=59 * 60)
    assert issued.credentials.context.session_policy is not None
    assert issued.assumed_role_arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/target/eks-demo-pod-1234"
    with pytest.raises(ServiceError) as err:
        prepare_session(
            store,
            role,
            SessionRequest(role_arn=req.role_arn, session_name="x1", duration_seconds=7200),
            caller_session=first,
            chained=True,
        )
    assert "1 hour session limit" in err.value.message


def test_packed_percent_grows_with_payload() -> None:
    assert packed_percent(b"") == 0
    assert 1 <= packed_percent(b"a=b;") < packed_percent(bytes(range(256)) * 8)
