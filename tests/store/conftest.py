"""Store fixtures: a fresh Store per test on SQLite and, when the server binaries exist, PostgreSQL.

PostgreSQL is started by the tests themselves (initdb + pg_ctl as user `nobody`, unix socket in a
temp dir); without the server binaries on PATH the postgres variants are skipped with the reason.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from podid.store import Store
from support.postgres import PgServer, pg_missing


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    reason = pg_missing()
    if reason:
        pytest.skip(reason)
    server = PgServer()
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        server.stop()
        pytest.skip(f"could not start PostgreSQL: {exc.stderr.decode(errors='replace')[-500:]}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state' / 'podid.db'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.create_database()


@pytest.fixture
def other_url(store_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A second empty database on the same backend as `store_url`."""
    if store_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'other' / 'podid.db'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.create_database()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    st = Store.open(store_url)
    yield st
    st.close()
