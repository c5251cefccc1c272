"""Run the store's alembic migrations programmatically (no alembic.ini at runtime).

An empty database is built straight from the models (`podid.store.schema.metadata`, plus the seed
rows) and stamped at head - alembic's recipe for "building an up to date database from scratch";
a database that has a revision is upgraded by the revisions after it (deltas). Both happen under
one lock (SQLite `BEGIN IMMEDIATE`, a PostgreSQL advisory lock), so concurrent first starts agree.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from podid.store.engine import transaction
from podid.store.schema import iam, metadata

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "podid_alembic_version"


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic `Config` pointing at the packaged migrations, bound to `connection`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest revision shipped with this version of podid."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: empty database)."""
    with engine.connect() as conn:
        return _current(conn)


def _is_empty(conn: Connection) -> bool:
    """No revision and none of podid's tables (a database some other program also uses is fine)."""
    return _current(conn) is None and not set(inspect(conn).get_table_names()) & set(metadata.tables)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to `revision` (idempotent)."""
    with transaction(engine, write=True) as conn:  # SQLite: BEGIN IMMEDIATE, one migrator at a time
        if conn.dialect.name == "postgresql":  # one migrator at a time across processes
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7262737)")
        cfg = alembic_config(conn)
        if revision == "head" and _is_empty(conn):
            metadata.create_all(conn, checkfirst=False)
            iam.seed(conn)
            command.stamp(cfg, "head")
        else:
            command.upgrade(cfg, revision)
