"""Every Store repository method, on SQLite and PostgreSQL (see conftest)."""

from __future__ import annotations

import json
import re

import pytest

from podid.store import (
    ADMIN_POLICY,
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
    Store,
)

ACCT = "111122223333"
OTHER = "444455556666"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    }
)
S3_READER = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": "arn:aws:s3:::bucket",
                "Condition": {"StringLike": {"s3:prefix": "team/*"}},
            },
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/team/*"},
        ],
    }
)
ID = re.compile(r"^[A-Z2-7]{16}$")


def test_migrated_from_empty(store: Store) -> None:
    from podid.store.migrate import current_revision, head_revision

    assert current_revision(store.engine) == head_revision()
    assert store.generation() == 0
    # opening again is a no-op
    Store.open(store.url).close()
    assert store.generation() == 0


def test_bootstrap_admin_idempotent(store: Store) -> None:
    key = store.bootstrap_admin(ACCT)
    assert key.access_key_id.startswith("AKIA") and ID.match(key.access_key_id[4:])
    assert len(key.secret_access_key) == 40
    assert key.user_arn == f"arn:aws:iam::{ACCT}:user/podid-admin"
    assert key.user_id.startswith("AIDA") and key.status == "Active" and key.account_id == ACCT
    gen = store.generation()
    assert store.bootstrap_admin(ACCT) == key
    assert store.generation() == gen  # nothing written the second time
    assert "secret" not in repr(key).lower() or key.secret_access_key not in repr(key)
    got = store.get_access_key(key.access_key_id)
    assert got == key
    assert store.get_access_key("AKIANOPE") is None
    identity, boundary = store.principal_policies(key.user_arn)
    assert [p.arn for p in identity] == [ADMIN_POLICY] and boundary is None
    assert json.loads(identity[0].document)["Statement"][0]["Action"] == "*"


def test_users_and_keys(store: Store) -> None:
    u = store.create_user(ACCT, "alice", path="/team/", tags=[{"Key": "k", "Value": "v"}])
    assert u.arn == f"arn:aws:iam::{ACCT}:user/team/alice" and u.user_id.startswith("AIDA")
    assert u.create_date.tzinfo is not None
    with pytest.raises(EntityAlreadyExists, match="User with name ALICE already exists."):
        store.create_user(ACCT, "ALICE")
    assert store.get_user(ACCT, "Alice") == u  # case-insensitive
    assert store.get_user(OTHER, "alice") is None
    assert [x.name for x in store.list_users(ACCT, "/team/")] == ["alice"]
    assert store.list_users(ACCT, "/other/") == []
    k1 = store.create_access_key(ACCT, "alice")
    k2 = store.create_access_key(ACCT, "alice")
    with pytest.raises(LimitExceeded, match="AccessKeysPerUser: 2"):
        store.create_access_key(ACCT, "alice")
    assert {k.access_key_id for k in store.list_access_keys(ACCT, "alice")} == {
        k1.access_key_id,
        k2.access_key_id,
    }
    store.update_access_key(ACCT, "alice", k1.access_key_id, "Inactive")
    assert store.get_access_key(k1.access_key_id).status == "Inactive"  # type: ignore[union-attr]
    with pytest.raises(NoSuchEntity, match="The Access Key with id AKIAX cannot be found."):
        store.delete_access_key(ACCT, "alice", "AKIAX")
    with pytest.raises(DeleteConflict, match="must delete access keys first"):
        store.delete_user(ACCT, "alice")
    store.delete_access_key(ACCT, "alice", k1.access_key_id)
    store.delete_access_key(ACCT, "alice", k2.access_key_id)
    store.tag_user(ACCT, "alice", [{"Key": "K", "Value": "w"}, {"Key": "x", "Value": "y"}])
    assert store.get_user(ACCT, "alice").tags == [{"Key": "K", "Value": "w"}, {"Key": "x", "Value": "y"}]  # type: ignore[union-attr]
    store.untag_user(ACCT, "alice", ["k"])
    assert store.get_user(ACCT, "alice").tags == [{"Key": "x", "Value": "y"}]  # type: ignore[union-attr]
    store.delete_user(ACCT, "alice")
    with pytest.raises(NoSuchEntity, match="The user with name alice cannot be found."):
        store.delete_user(ACCT, "alice")


def test_roles(store: Store) -> None:
    r = store.create_role(ACCT, "reader", TRUST, path="/pods/", description="d", max_session_duration=7200)
    assert r.arn == f"arn:aws:iam::{ACCT}:role/pods/reader" and r.role_id.startswith("AROA")
    assert ID.match(r.role_id[4:])
    with pytest.raises(EntityAlreadyExists, match="Role with name reader already exists."):
        store.create_role(ACCT, "reader", TRUST)
    assert store.get_role(ACCT, "READER") == r
    assert store.get_role(ACCT, "nope") is None
    store.update_role(ACCT, "reader", description="new", max_session_duration=43200)
    got = store.get_role(ACCT, "reader")
    assert got and got.description == "new" and got.max_session_duration == 43200
    store.update_role(ACCT, "reader", max_session_duration=3600)
    assert store.get_role(ACCT, "reader").description == "new"  # type: ignore[union-attr]
    store.update_assume_role_policy(ACCT, "reader", "{}")
    assert store.get_role(ACCT, "reader").assume_role_policy_document == "{}"  # type: ignore[union-attr]
    store.tag_role(ACCT, "reader", [{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    gen = store.generation()
    with pytest.raises(LimitExceeded):
        store.tag_role(ACCT, "reader", [{"Key": "one-more", "Value": "v"}])
    assert store.generation() == gen and len(store.get_role(ACCT, "reader").tags) == 50  # type: ignore[union-attr]
    assert [x.name for x in store.list_roles(ACCT)] == ["reader"]
    with pytest.raises(NoSuchEntity, match="The role with name x cannot be found."):
        store.update_role(ACCT, "x", description="d")
    store.delete_role(ACCT, "reader")
    assert store.get_role(ACCT, "reader") is None


def test_managed_policies_versions(store: Store) -> None:
    p = store.create_policy(ACCT, "s3-reader", S3_READER, path="/app/", description="reads")
    arn = f"arn:aws:iam::{ACCT}:policy/app/s3-reader"
    assert p.arn == arn and p.policy_id.startswith("ANPA") and p.default_version_id == "v1"
    with pytest.raises(EntityAlreadyExists, match="A policy called s3-reader already exists."):
        store.create_policy(ACCT, "s3-reader", S3_READER)
    assert store.get_policy(ACCT, arn) == p
    assert store.get_policy(OTHER, arn) is None
    for i in range(2, 6):
        v = store.create_policy_version(ACCT, arn, S3_READER, set_as_default=(i == 3))
        assert v.version_id == f"v{i}"
    gen = store.generation()
    with pytest.raises(LimitExceeded, match="A managed policy can have up to 5 versions."):
        store.create_policy_version(ACCT, arn, S3_READER)
    assert store.generation() == gen
    assert [v.version_id for v in store.list_policy_versions(ACCT, arn)] == ["v5", "v4", "v3", "v2", "v1"]
    assert store.get_policy(ACCT, arn).default_version_id == "v3"  # type: ignore[union-attr]
    assert store.get_policy_version(ACCT, arn, "v3").is_default
    with pytest.raises(DeleteConflict, match="Cannot delete the default version of a policy."):
        store.delete_policy_version(ACCT, arn, "v3")
    with pytest.raises(NoSuchEntity, match="version v9 does not exist"):
        store.get_policy_version(ACCT, arn, "v9")
    store.set_default_policy_version(ACCT, arn, "v5")
    with pytest.raises(DeleteConflict, match="This policy has more than one version."):
        store.delete_policy(ACCT, arn)
    for vid in ("v1", "v2", "v3", "v4"):
        store.delete_policy_version(ACCT, arn, vid)
    assert store.create_policy_version(ACCT, arn, S3_READER).version_id == "v6"  # ids are not reused
    store.delete_policy_version(ACCT, arn, "v6")
    store.delete_policy(ACCT, arn)
    assert store.get_policy(ACCT, arn) is None
    with pytest.raises(NoSuchEntity, match=f"Policy {arn} was not found."):
        store.delete_policy(ACCT, arn)


def test_aws_managed_policies(store: Store) -> None:
    from podid.store import managed_policies

    assert managed_policies.source().startswith("moto 5.2.5")
    for name in ("AmazonS3ReadOnlyAccess", "AdministratorAccess", "ReadOnlyAccess"):
        arn = f"arn:aws:iam::aws:policy/{name}"
        p = store.get_policy(ACCT, arn)
        assert p and p.aws_managed and p.policy_id.startswith("ANPA")
        v = store.get_policy_version(ACCT, arn, p.default_version_id)
        assert json.loads(v.document)["Statement"]
    s3 = store.get_policy_version(ACCT, "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "v3")
    assert "s3:Get*" in json.loads(s3.document)["Statement"][0]["Action"]
    aws = store.list_policies(ACCT, scope="AWS")
    assert len(aws) > 1000 and all(p.aws_managed for p in aws)
    assert store.list_policies(ACCT, scope="Local") == []
    assert store.list_policies(ACCT, only_attached=True) == []
    with pytest.raises(NoSuchEntity):
        store.delete_policy(ACCT, "arn:aws:iam::aws:policy/AdministratorAccess")


def test_attachments_inline_boundary_principal_policies(store: Store) -> None:
    role = store.create_role(ACCT, "app", TRUST)
    user = store.create_user(ACCT, "bob")
    pol = store.create_policy(ACCT, "reader", S3_READER)
    s3ro = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    store.attach_policy(ACCT, "role", "app", pol.arn)
    store.attach_policy(ACCT, "role", "app", pol.arn)  # idempotent
    store.attach_policy(ACCT, "role", "app", s3ro)
    store.attach_policy(ACCT, "user", "bob", pol.arn)
    assert [a.policy_arn for a in store.list_attached_policies(ACCT, "role", "app")] == [pol.arn, s3ro]
    assert store.get_policy(ACCT, pol.arn).attachment_count == 2  # type: ignore[union-attr]
    entities = store.policy_entities(ACCT, pol.arn)
    assert entities["role"] == [("app", role.role_id)] and entities["user"] == [("bob", user.user_id)]
    assert {p.arn for p in store.list_policies(ACCT, only_attached=True)} == {pol.arn, s3ro}
    with pytest.raises(NoSuchEntity, match="does not exist or is not attachable"):
        store.attach_policy(ACCT, "role", "app", f"arn:aws:iam::{ACCT}:policy/nope")
    with pytest.raises(DeleteConflict, match="Cannot delete a policy attached to entities."):
        store.delete_policy(ACCT, pol.arn)
    with pytest.raises(DeleteConflict, match="Cannot delete entity, must detach all policies first."):
        store.delete_role(ACCT, "app")
    store.put_inline_policy(ACCT, "role", "app", "inline1", S3_READER)
    store.put_inline_policy(ACCT, "role", "app", "inline1", TRUST.replace("Principal", "X"))  # replace
    store.put_inline_policy(ACCT, "user", "bob", "u1", S3_READER)
    assert store.list_inline_policies(ACCT, "role", "app") == ["inline1"]
    assert store.get_inline_policy(ACCT, "user", "bob", "u1").document == S3_READER
    with pytest.raises(NoSuchEntity, match="The role policy with name nope cannot be found."):
        store.get_inline_policy(ACCT, "role", "app", "nope")
    store.put_permissions_boundary(ACCT, "role", "app", s3ro)
    with pytest.raises(NoSuchEntity, match="Scope ARN"):
        store.put_permissions_boundary(ACCT, "role", "app", f"arn:aws:iam::{ACCT}:policy/nope")

    pp = store.principal_policies(role.arn)
    assert pp.found and [s.name for s in pp.identity] == ["reader", "AmazonS3ReadOnlyAccess", "inline1"]
    assert pp.identity[0].document == S3_READER and pp.identity[2].origin == "inline"
    assert pp.boundary and pp.boundary.arn == s3ro
    session = f"arn:aws:sts::{ACCT}:assumed-role/app/sess-1"
    assert store.principal_policies(session) == pp
    upp = store.principal_policies(user.arn)
    assert [s.name for s in upp.identity] == ["reader", "u1"] and upp.boundary is None
    ghost = store.principal_policies(f"arn:aws:iam::{ACCT}:role/ghost")
    assert ghost == ([], None) and not ghost.found
    assert not store.principal_policies("garbage").found

    # version change is reflected
    store.create_policy_version(ACCT, pol.arn, TRUST.replace("Principal", "Y"), set_as_default=True)
    assert store.principal_policies(role.arn).identity[0].document != S3_READER

    store.delete_permissions_boundary(ACCT, "role", "app")
    assert store.principal_policies(role.arn).boundary is None
    with pytest.raises(NoSuchEntity, match=f"Policy {s3ro} was not found."):
        store.detach_policy(ACCT, "user", "bob", s3ro)
    store.detach_policy(ACCT, "role", "app", pol.arn)
    store.detach_policy(ACCT, "role", "app", s3ro)
    with pytest.raises(DeleteConflict, match="must delete policies first"):
        store.delete_role(ACCT, "app")
    store.delete_inline_policy(ACCT, "role", "app", "inline1")
    store.delete_role(ACCT, "app")


def test_attach_limit(store: Store) -> None:
    store.create_role(ACCT, "many", TRUST)
    names = [p.arn for p in store.list_policies(ACCT, scope="AWS")[:11]]
    for arn in names[:10]:
        store.attach_policy(ACCT, "role", "many", arn)
    with pytest.raises(LimitExceeded, match="Cannot exceed quota for PoliciesPerRole: 10"):
        store.attach_policy(ACCT, "role", "many", names[10])


def test_oidc_providers(store: Store) -> None:
    url = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"
    p = store.create_oidc_provider(ACCT, url, client_ids=["sts.amazonaws.com"], thumbprints=["a" * 40])
    assert p.arn == f"arn:aws:iam::{ACCT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
    assert p.url == "oidc.eks.us-east-1.amazonaws.com/id/ABC"
    with pytest.raises(EntityAlreadyExists, match="Provider with url https://oidc.eks"):
        store.create_oidc_provider(ACCT, url)
    assert store.get_oidc_provider(ACCT, url) == p
    assert store.get_oidc_provider(ACCT, p.url) == p
    assert store.get_oidc_provider(OTHER, url) is None
    assert store.get_oidc_provider_by_arn(p.arn) == p
    store.add_oidc_client_id(p.arn, "other")
    store.add_oidc_client_id(p.arn, "other")
    assert store.get_oidc_provider_by_arn(p.arn).client_ids == ["sts.amazonaws.com", "other"]  # type: ignore[union-attr]
    store.remove_oidc_client_id(p.arn, "sts.amazonaws.com")
    store.update_oidc_thumbprints(p.arn, ["b" * 40])
    store.tag_oidc_provider(p.arn, [{"Key": "a", "Value": "b"}])
    got = store.get_oidc_provider_by_arn(p.arn)
    assert got and got.client_ids == ["other"] and got.thumbprints == ["b" * 40] and got.tags
    assert [x.arn for x in store.list_oidc_providers(ACCT)] == [p.arn]
    store.delete_oidc_provider(p.arn)
    with pytest.raises(NoSuchEntity, match="OpenIDConnect Provider not found for arn"):
        store.delete_oidc_provider(p.arn)


def test_kv_and_generation(store: Store) -> None:
    g0 = store.generation()
    store.put_kv("eks/clusters", "demo", {"name": "demo", "n": 1})
    store.put_kv("eks/clusters", "demo", {"name": "demo", "n": 2})
    store.put_kv("eks/clusters", "other", [1, 2])
    assert store.generation() == g0  # kv writes are not IAM writes
    assert store.get_kv("eks/clusters", "demo") == {"name": "demo", "n": 2}
    assert list(store.list_kv("eks/clusters")) == ["demo", "other"]
    assert store.delete_kv("eks/clusters", "demo") and not store.delete_kv("eks/clusters", "demo")
    assert store.get_kv("eks/clusters", "demo") is None
    store.create_role(ACCT, "r", TRUST)
    assert store.generation() == g0 + 1
    with pytest.raises(EntityAlreadyExists):
        store.create_role(ACCT, "r", TRUST)
    assert store.generation() == g0 + 1  # failed writes roll back the bump too


def test_one_generation_per_call(store: Store) -> None:
    """Inside one API call the counter is read once; the call's own writes and other writers'
    writes after the call are seen."""
    from sqlalchemy import event

    queries: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "meta" in statement.lower():
            queries.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        g0 = store.generation()
        with store.one_generation():
            queries.clear()
            assert store.generation() == g0 and store.generation() == g0
            assert len(queries) == 1
            store.create_role(ACCT, "in-call", TRUST)
            assert store.generation() == g0 + 1     # the call's own write is seen at once
        other = Store(store.engine)                  # another writer (process) on the same database
        other.create_role(ACCT, "elsewhere", TRUST)
        with store.one_generation():
            assert store.generation() == g0 + 2     # a new call reads the database again
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
