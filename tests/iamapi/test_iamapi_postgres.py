"""`podid up --db postgresql+psycopg://...`: the IAM API on PostgreSQL, state surviving a restart.

Starts its own PostgreSQL (see tests/support/postgres.py); skipped when the server binaries are absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from iam_helpers import POD_TRUST, S3_READER, doc, error

from support.postgres import PgServer, pg_missing
from support.server import start_podid


@pytest.fixture(scope="module")
def pg() -> Iterator[PgServer]:
    reason = pg_missing()
    if reason:
        pytest.skip(reason)
    server = PgServer()
    server.start()
    yield server
    server.stop()


def test_iam_on_postgres_survives_restart(pg: PgServer, tmp_path: Path) -> None:
    url = pg.create_database()
    with start_podid(tmp_path / "a", extra_args=["--db", url]) as srv:
        iam: Any = srv.client("iam")
        iam.create_role(RoleName="pg-role", AssumeRolePolicyDocument=doc(POD_TRUST))
        arn = iam.create_policy(PolicyName="pg-reader", PolicyDocument=doc(S3_READER))["Policy"]["Arn"]
        iam.attach_role_policy(RoleName="pg-role", PolicyArn=arn)
        assert error(iam.create_role, RoleName="pg-role", AssumeRolePolicyDocument=doc(POD_TRUST))[:2] == (
            409,
            "EntityAlreadyExists",
        )
        admin_key = srv.access_key_id
    # a second server on another state dir, same database: same admin key, same IAM state
    with start_podid(tmp_path / "b", extra_args=["--db", url]) as srv:
        assert srv.access_key_id == admin_key
        iam = srv.client("iam")
        assert iam.list_attached_role_policies(RoleName="pg-role")["AttachedPolicies"] == [
            {"PolicyName": "pg-reader", "PolicyArn": arn}
        ]
        assert iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"] == S3_READER
