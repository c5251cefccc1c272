"""SQLAlchemy 2 implementation of :class:`~podid.k8s.store.ObjectStore` (SQLite WAL or PostgreSQL).

Three tables, all keyed by ``cluster`` so every podid cluster shares one database:

* ``k8s_objects``   - the current objects (``body`` is the JSON the API returns);
* ``k8s_revisions`` - one row per cluster: the resourceVersion counter and the compaction horizon;
* ``k8s_watch_log`` - every write, for watch; compacted to a bounded length.

The store's alembic migration ``0003_k8s`` creates them for ``podid up`` (kept identical by
tests/store); :func:`create_tables` creates them idempotently for a standalone API (tests).
"""

from __future__ import annotations

import builtins
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection

from podid.k8s.store import (
    AlreadyExistsError,
    CompactedError,
    ConflictError,
    EventType,
    NotFoundError,
    WatchEvent,
)
from podid.store.engine import WRITE_OPTION

metadata = MetaData()

k8s_objects = Table(
    "k8s_objects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("cluster", String(100), nullable=False),
    Column("api_group", String(253), nullable=False),
    Column("resource", String(100), nullable=False),
    Column("namespace", String(253), nullable=False),
    Column("name", String(253), nullable=False),
    Column("uid", String(36), nullable=False),
    Column("resource_version", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
    UniqueConstraint("cluster", "api_group", "resource", "namespace", "name", name="uq_k8s_objects_key"),
)

k8s_revisions = Table(
    "k8s_revisions",
    metadata,
    Column("cluster", String(100), primary_key=True),
    Column("current", BigInteger, nullable=False),
    Column("compacted", BigInteger, nullable=False),
)

k8s_watch_log = Table(
    "k8s_watch_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("cluster", String(100), nullable=False),
    Column("resource_version", BigInteger, nullable=False),
    Column("event_type", String(16), nullable=False),
    Column("api_group", String(253), nullable=False),
    Column("resource", String(100), nullable=False),
    Column("namespace", String(253), nullable=False),
    Column("name", String(253), nullable=False),
    Column("body", Text, nullable=False),
    Index("ix_k8s_watch_log_cluster_rv", "cluster", "resource_version"),
)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction: on podid's SQLite engines ``BEGIN IMMEDIATE`` (see podid.store.engine), so
    a writer waits for the lock (busy timeout) instead of failing with "database is locked" when
    another component (IAM, EKS) committed between its first read and its first write."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            yield conn


def create_tables(engine: Engine) -> None:
    """Create the k8s tables if missing (standalone use; ``podid up`` has migration 0003_k8s)."""
    metadata.create_all(engine)


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta["name"])


class SqlObjectStore:
    """ObjectStore over a SQLAlchemy engine for one cluster. Writes are serialised in-process."""

    def __init__(self, engine: Engine, cluster: str, *, watch_log_size: int = 5000) -> None:
        self.engine = engine
        self.cluster = cluster
        self.watch_log_size = watch_log_size
        self._lock = threading.RLock()
        self._writes = 0
        with write_transaction(engine) as conn:
            row = conn.execute(
                select(k8s_revisions.c.current).where(k8s_revisions.c.cluster == cluster)
            ).first()
            if row is None:
                conn.execute(insert(k8s_revisions).values(cluster=cluster, current=0, compacted=0))

    # -- helpers ---------------------------------------------------------------------------------
    def _bump(self, conn: Connection) -> int:
        conn.execute(
            update(k8s_revisions)
            .where(k8s_revisions.c.cluster == self.cluster)
            .values(current=k8s_revisions.c.current + 1)
        )
        value = conn.execute(
            select(k8s_revisions.c.current).where(k8s_revisions.c.cluster == self.cluster)
        ).scalar_one()
        return int(value)

    def _log(
        self, conn: Connection, rv: int, etype: EventType, group: str, resource: str, obj: dict[str, Any]
    ) -> None:
        ns, name = _key(obj)
        conn.execute(
            insert(k8s_watch_log).values(
                cluster=self.cluster,
                resource_version=rv,
                event_type=etype,
                api_group=group,
                resource=resource,
                namespace=ns,
                name=name,
                body=json.dumps(obj),
            )
        )
        self._writes += 1
        if self._writes % 200 == 0:
            self._compact(conn, self.watch_log_size)

    def _where(self, group: str, resource: str, namespace: str, name: str) -> Any:
        c = k8s_objects.c
        return and_(
            c.cluster == self.cluster,
            c.api_group == group,
            c.resource == resource,
            c.namespace == namespace,
            c.name == name,
        )

    # -- ObjectStore -----------------------------------------------------------------------------
    def create(self, group: str, resource: str, obj: dict[str, Any]) -> dict[str, Any]:
        ns, name = _key(obj)
        with self._lock, write_transaction(self.engine) as conn:
            if conn.execute(select(k8s_objects.c.id).where(self._where(group, resource, ns, name))).first():
                raise AlreadyExistsError(name)
            rv = self._bump(conn)
            obj["metadata"]["resourceVersion"] = str(rv)
            conn.execute(
                insert(k8s_objects).values(
                    cluster=self.cluster,
                    api_group=group,
                    resource=resource,
                    namespace=ns,
                    name=name,
                    uid=str(obj["metadata"].get("uid", "")),
                    resource_version=rv,
                    body=json.dumps(obj),
                )
            )
            self._log(conn, rv, "ADDED", group, resource, obj)
        return obj

    def get(self, group: str, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            body = conn.execute(
                select(k8s_objects.c.body).where(self._where(group, resource, namespace, name))
            ).scalar()
        return None if body is None else dict(json.loads(body))

    def list(
        self, group: str, resource: str, namespace: str | None
    ) -> tuple[builtins.list[dict[str, Any]], int]:
        c = k8s_objects.c
        cond = and_(c.cluster == self.cluster, c.api_group == group, c.resource == resource)
        if namespace is not None:
            cond = and_(cond, c.namespace == namespace)
        with self.engine.connect() as conn:
            rows = conn.execute(select(c.body).where(cond).order_by(c.namespace, c.name)).scalars().all()
            current = conn.execute(
                select(k8s_revisions.c.current).where(k8s_revisions.c.cluster == self.cluster)
            ).scalar_one()
        return [json.loads(b) for b in rows], int(current)

    def update(
        self, group: str, resource: str, obj: dict[str, Any], expected_version: int | None = None
    ) -> dict[str, Any]:
        ns, name = _key(obj)
        where = self._where(group, resource, ns, name)
        with self._lock, write_transaction(self.engine) as conn:
            stored = conn.execute(select(k8s_objects.c.resource_version).where(where)).scalar()
            if stored is None:
                raise NotFoundError(name)
            if expected_version is not None and int(stored) != expected_version:
                raise ConflictError(name)
            rv = self._bump(conn)
            obj["metadata"]["resourceVersion"] = str(rv)
            conn.execute(update(k8s_objects).where(where).values(resource_version=rv, body=json.dumps(obj)))
            self._log(conn, rv, "MODIFIED", group, resource, obj)
        return obj

    def delete(
        self, group: str, resource: str, namespace: str, name: str, expected_version: int | None = None
    ) -> dict[str, Any]:
        where = self._where(group, resource, namespace, name)
        with self._lock, write_transaction(self.engine) as conn:
            row = conn.execute(
                select(k8s_objects.c.resource_version, k8s_objects.c.body).where(where)
            ).first()
            if row is None:
                raise NotFoundError(name)
            if expected_version is not None and int(row[0]) != expected_version:
                raise ConflictError(name)
            obj = dict(json.loads(row[1]))
            rv = self._bump(conn)
            obj["metadata"]["resourceVersion"] = str(rv)
            conn.execute(delete(k8s_objects).where(where))
            self._log(conn, rv, "DELETED", group, resource, obj)
        return obj

    def current_version(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(k8s_revisions.c.current).where(k8s_revisions.c.cluster == self.cluster)
                ).scalar_one()
            )

    def events_since(self, version: int, limit: int = 500) -> builtins.list[WatchEvent]:
        w = k8s_watch_log.c
        with self.engine.connect() as conn:
            compacted = int(
                conn.execute(
                    select(k8s_revisions.c.compacted).where(k8s_revisions.c.cluster == self.cluster)
                ).scalar_one()
            )
            if version < compacted:
                raise CompactedError(version, compacted)
            rows = conn.execute(
                select(w.resource_version, w.event_type, w.api_group, w.resource, w.namespace, w.name, w.body)
                .where(and_(w.cluster == self.cluster, w.resource_version > version))
                .order_by(w.resource_version)
                .limit(limit)
            ).all()
        return [WatchEvent(int(r[0]), r[1], r[2], r[3], r[4], r[5], json.loads(r[6])) for r in rows]

    def _compact(self, conn: Connection, keep: int) -> int:
        w = k8s_watch_log.c
        current = int(
            conn.execute(
                select(k8s_revisions.c.current).where(k8s_revisions.c.cluster == self.cluster)
            ).scalar_one()
        )
        horizon = max(0, current - keep)
        old = int(
            conn.execute(
                select(k8s_revisions.c.compacted).where(k8s_revisions.c.cluster == self.cluster)
            ).scalar_one()
        )
        if horizon > old:
            conn.execute(
                delete(k8s_watch_log).where(and_(w.cluster == self.cluster, w.resource_version <= horizon))
            )
            conn.execute(
                update(k8s_revisions).where(k8s_revisions.c.cluster == self.cluster).values(compacted=horizon)
            )
            return horizon
        return old

    def compact(self, keep: int) -> int:
        with self._lock, write_transaction(self.engine) as conn:
            return self._compact(conn, keep)
