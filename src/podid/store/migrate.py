"""Run the store's alembic migrations programmatically (no alembic.ini at runtime)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from podid.store.engine import WRITE_OPTION

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


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to `revision` (idempotent)."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})  # SQLite: BEGIN IMMEDIATE, one migrator at a time
        with conn.begin():
            if conn.dialect.name == "postgresql":  # one migrator at a time across processes
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7262737)")
            command.upgrade(alembic_config(conn), revision)
