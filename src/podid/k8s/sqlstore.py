"""SQLAlchemy 2 implementation of :class:`~podid.k8s.store.ObjectStore` (SQLite WAL or PostgreSQL).

Three tables, all keyed by ``cluster`` so every podid cluster shares one database (the ORM models of
:mod:`podid.store.schema.k8s`, the store's one schema; this module runs Core statements on their
tables):

* ``k8s_objects``   - the current objects (``body`` is the JSON the API returns);
* ``k8s_revisions`` - one row per cluster: the resourceVersion counter and the compaction horizon;
* ``k8s_watch_log`` - every write, for watch; compacted to a bounded length.

The store's alembic migration ``0003_k8s`` creates them for ``podid up``; :func:`create_tables`
creates them idempotently for a standalone API (tests). Transactions come from the store's helper
(:func:`podid.store.engine.transaction`; writes ``BEGIN IMMEDIATE`` on SQLite).
"""

from __future__ import annotations

import builtins
import json
import threading
from contextlib import AbstractContextManager
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Engine, and_, delete, insert, select, update

from podid.k8s.store import (
    AlreadyExistsError,
    CompactedError,
    ConflictError,
    EventType,
    NotFoundError,
    WatchEvent,
)
from podid.store.engine import transaction
from podid.store.schema import create_tables as _create_tables
from podid.store.schema.k8s import k8s_objects, k8s_revisions, k8s_watch_log

__all__ = ["SqlObjectStore", "create_tables", "k8s_objects", "k8s_revisions", "k8s_watch_log",
           "write_transaction"]


def write_transaction(engine: Engine) -> AbstractContextManager[Connection]:
    """A write transaction: on podid's SQLite engines ``BEGIN IMMEDIATE`` (see podid.store.engine), so
    a writer waits for the lock (busy timeout) instead of failing with "database is locked" when
    another component (IAM, EKS) committed between its first read and its first write."""
    return transaction(engine, write=True)


def create_tables(engine: Engine) -> None:
    """Create the k8s tables if missing (standalone use; ``podid up`` has migration 0003_k8s)."""
    _create_tables(engine, (k8s_objects.name, k8s_revisions.name, k8s_watch_log.name), checkfirst=True)


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
    def _revision(self, conn: Connection, column: str) -> int:
        """``current`` or ``compacted`` of this cluster's k8s_revisions row."""
        return int(conn.execute(select(k8s_revisions.c[column])
                                .where(k8s_revisions.c.cluster == self.cluster)).scalar_one())

    def _bump(self, conn: Connection) -> int:
        conn.execute(
            update(k8s_revisions)
            .where(k8s_revisions.c.cluster == self.cluster)
            .values(current=k8s_revisions.c.current + 1)
        )
        return self._revision(conn, "current")

    def _row(self, group: str, resource: str, obj: dict[str, Any]) -> dict[str, Any]:
        """The key columns and ``body`` of ``obj`` (shared by k8s_objects and k8s_watch_log rows)."""
        ns, name = _key(obj)
        return {"cluster": self.cluster, "api_group": group, "resource": resource, "namespace": ns,
                "name": name, "body": json.dumps(obj)}

    def _write(self) -> AbstractContextManager[Connection]:
        """The transaction of one write; in-process writers queue on the store's lock first."""
        return transaction(self.engine, write=True, lock=self._lock)

    def _log(
        self, conn: Connection, rv: int, etype: EventType, group: str, resource: str, obj: dict[str, Any]
    ) -> None:
        conn.execute(insert(k8s_watch_log).values(resource_version=rv, event_type=etype,
                                                  **self._row(group, resource, obj)))
        self._writes += 1
        if self._writes % 200 == 0:
            self._compact(conn, self.watch_log_size)

    def _where(self, group: str, resource: str, namespace: str, name: str) -> ColumnElement[bool]:
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
        with self._write() as conn:
            if conn.execute(select(k8s_objects.c.id).where(self._where(group, resource, ns, name))).first():
                raise AlreadyExistsError(name)
            rv = self._bump(conn)
            obj["metadata"]["resourceVersion"] = str(rv)
            uid = str(obj["metadata"].get("uid", ""))
            conn.execute(insert(k8s_objects).values(uid=uid, resource_version=rv,
                                                    **self._row(group, resource, obj)))
            self._log(conn, rv, "ADDED", group, resource, obj)
        return obj

    def get(self, group: str, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        with transaction(self.engine) as conn:
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
        with transaction(self.engine) as conn:
            rows = conn.execute(select(c.body).where(cond).order_by(c.namespace, c.name)).scalars().all()
            current = self._revision(conn, "current")
        return [json.loads(b) for b in rows], current

    def update(
        self, group: str, resource: str, obj: dict[str, Any], expected_version: int | None = None
    ) -> dict[str, Any]:
        ns, name = _key(obj)
        where = self._where(group, resource, ns, name)
        with self._write() as conn:
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
        with self._write() as conn:
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
        with transaction(self.engine) as conn:
            return self._revision(conn, "current")

    def events_since(self, version: int, limit: int = 500) -> builtins.list[WatchEvent]:
        w = k8s_watch_log.c
        with transaction(self.engine) as conn:
            compacted = self._revision(conn, "compacted")
            if version < compacted:
                raise CompactedError(version, compacted)
            rows = conn.execute(
                select(w.resource_version, w.event_type, w.api_group, w.resource, w.namespace, w.name, w.body)
                .where(and_(w.cluster == self.cluster, w.resource_version > version))
                .order_by(w.resource_version)
                .limit(limit)
            ).all()
        return [WatchEvent(int(r[0]), cast(EventType, r[1]), r[2], r[3], r[4], r[5], json.loads(r[6]))
                for r in rows]

    def _compact(self, conn: Connection, keep: int) -> int:
        w = k8s_watch_log.c
        horizon = max(0, self._revision(conn, "current") - keep)
        old = self._revision(conn, "compacted")
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
        with self._write() as conn:
            return self._compact(conn, keep)
