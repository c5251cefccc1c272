"""Engine construction: database URLs, SQLite pragmas (WAL, synchronous=FULL, foreign keys), write locking,
and the one transaction helper of every repository (IAM store, podid.eks, podid.k8s).

SQLite: every connection runs `journal_mode=WAL`, `synchronous=FULL`, `foreign_keys=ON` and a busy
timeout, so an acknowledged commit is on disk (survives kill -9 and power loss). Transactions are
begun explicitly; write transactions use `BEGIN IMMEDIATE` so concurrent writers queue on the lock
instead of failing on a read-to-write upgrade. `transaction` yields a connection inside one
transaction (committed on exit, rolled back on an exception), `session` the same as an ORM `Session`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

WRITE_OPTION = "podid_write"
DB_FILENAME = "podid.db"


def default_url(state_dir: str | Path) -> str:
    """`sqlite:///STATE_DIR/podid.db`."""
    return f"sqlite:///{Path(state_dir).resolve() / DB_FILENAME}"


def make_engine(url: str) -> Engine:
    """Create an engine for `url` (sqlite:///..., postgresql+psycopg://...)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _install_sqlite_hooks(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def _connection(engine: Engine, write: bool,
                lock: AbstractContextManager[Any] | None) -> Iterator[Connection]:
    with lock if lock is not None else nullcontext(), engine.connect() as conn:
        if write:
            conn.execution_options(**{WRITE_OPTION: True})
        yield conn


@contextmanager
def transaction(engine: Engine, *, write: bool = False,
                lock: AbstractContextManager[Any] | None = None) -> Iterator[Connection]:
    """One database transaction on one connection: committed on exit, rolled back on an exception.

    `write=True` begins it with `BEGIN IMMEDIATE` on SQLite, so a writer waits for the database lock
    (busy timeout) instead of failing with "database is locked" when another component committed
    between its first read and its first write. `lock` is held around the whole transaction (in-process
    writers queue on a Python lock rather than on SQLite's)."""
    with _connection(engine, write, lock) as conn, conn.begin():
        yield conn


@contextmanager
def session(engine: Engine, *, write: bool = False,
            lock: AbstractContextManager[Any] | None = None) -> Iterator[Session]:
    """:func:`transaction` as an ORM `Session` (flushed and committed on exit; objects stay loaded)."""
    with _connection(engine, write, lock) as conn, Session(bind=conn, expire_on_commit=False) as s, s.begin():
        yield s
