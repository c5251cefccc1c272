"""Repository for podid.eks's tables: clusters, add-ons, Pod Identity associations, issuer keys,
agent heartbeats.

The tables are the ORM models of :mod:`podid.store.schema.eks` (the store's one schema; alembic
revision ``0002_eks`` creates them). :class:`EksRepo` runs Core statements on the models' tables over
the :class:`podid.store.Store`'s engine (``store.engine``) through the store's transaction helper
(:func:`podid.store.engine.transaction`): reads are plain transactions, writes ``BEGIN IMMEDIATE`` on
SQLite. Records are frozen dataclasses; timestamps are epoch seconds (floats).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Table, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from podid.store.engine import transaction
from podid.store.schema.eks import (
    eks_addons,
    eks_agent_heartbeats,
    eks_clusters,
    eks_issuer_keys,
    eks_pod_identity_associations,
)


class RepoError(Exception):
    """Base of the repository's own failures (mapped to EKS errors by the domain layer)."""


class AlreadyExists(RepoError):
    """A unique key is taken; ``existing`` names the holder when known (association id...)."""

    def __init__(self, what: str, existing: str | None = None) -> None:
        super().__init__(what)
        self.existing = existing


class InUse(RepoError):
    """The row still has dependants (a cluster with associations or add-ons)."""


@dataclass(frozen=True)
class ClusterRecord:
    pk: int
    account_id: str
    region: str
    name: str
    arn: str
    cluster_id: str
    version: str
    oidc_id: str
    role_arn: str | None
    endpoint: str | None
    status: str
    tags: Mapping[str, str]
    created_at: float


@dataclass(frozen=True)
class AddonRecord:
    pk: int
    cluster_pk: int
    name: str
    version: str
    arn: str
    service_account_role_arn: str | None
    configuration_values: str | None
    pod_identity_associations: list[str]
    tags: Mapping[str, str]
    created_at: float
    modified_at: float


@dataclass(frozen=True)
class AssociationRecord:
    pk: int
    cluster_pk: int
    association_id: str
    arn: str
    namespace: str
    service_account: str
    role_arn: str
    target_role_arn: str | None
    external_id: str | None
    disable_session_tags: bool
    policy: str | None
    owner_arn: str | None
    tags: Mapping[str, str]
    created_at: float
    modified_at: float


@dataclass(frozen=True)
class HeartbeatRecord:
    node_name: str
    agent_id: str
    status: str
    reasons: tuple[str, ...]
    received_at: float


@dataclass
class NewAssociation:
    """Input of :meth:`EksRepo.create_association` / :meth:`EksRepo.bulk_insert_associations`."""

    association_id: str
    arn: str
    namespace: str
    service_account: str
    role_arn: str
    target_role_arn: str | None = None
    external_id: str | None = None
    disable_session_tags: bool = False
    policy: str | None = None
    owner_arn: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


def _cluster(row: Row[Any]) -> ClusterRecord:
    m = row._mapping
    return ClusterRecord(m["pk"], m["account_id"], m["region"], m["name"], m["arn"], m["cluster_id"],
                         m["version"], m["oidc_id"], m["role_arn"], m["endpoint"], m["status"],
                         dict(m["tags"] or {}), float(m["created_at"]))


def _addon(row: Row[Any]) -> AddonRecord:
    m = row._mapping
    return AddonRecord(m["pk"], m["cluster_pk"], m["name"], m["version"], m["arn"],
                       m["service_account_role_arn"], m["configuration_values"],
                       list(m["pod_identity_associations"] or []), dict(m["tags"] or {}),
                       float(m["created_at"]), float(m["modified_at"]))


def _association(row: Row[Any]) -> AssociationRecord:
    m = row._mapping
    return AssociationRecord(m["pk"], m["cluster_pk"], m["association_id"], m["arn"], m["namespace"],
                             m["service_account"], m["role_arn"], m["target_role_arn"], m["external_id"],
                             bool(m["disable_session_tags"]), m["policy"], m["owner_arn"],
                             dict(m["tags"] or {}), float(m["created_at"]), float(m["modified_at"]))


def _heartbeat(r: Row[Any]) -> HeartbeatRecord:
    return HeartbeatRecord(r.node_name, r.agent_id, r.status, tuple(r.reasons or ()), float(r.received_at))


def _insert(conn: Connection, table: Table, **values: Any) -> int:
    """INSERT one row; its new primary key."""
    return int(conn.execute(insert(table).values(**values)).inserted_primary_key[0])  # type: ignore[index]


def _by_pk(conn: Connection, table: Table, pk: int) -> Row[Any]:
    """The row whose primary key is `pk` (NoResultFound when there is none)."""
    return conn.execute(select(table).where(table.c.pk == pk)).one()


def _count(conn: Connection, table: Table, *criteria: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(table).where(*criteria)).scalar() or 0)


def encode_page_token(after_pk: int) -> str:
    """Opaque ``nextToken``: base64url of ``{"after": pk}``."""
    return base64.urlsafe_b64encode(json.dumps({"after": after_pk}).encode()).decode().rstrip("=")


def decode_page_token(token: str) -> int | None:
    """The pk a ``nextToken`` continues after, or None when the token is not one of ours."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    after = raw.get("after") if isinstance(raw, dict) else None
    return after if isinstance(after, int) and not isinstance(after, bool) and after >= 0 else None


class EksRepo:
    """EKS control-plane state on a SQLAlchemy engine (the Store's)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write_lock = threading.Lock()

    @classmethod
    def for_store(cls, store: Any) -> EksRepo:
        """The repository on ``store.engine`` (a :class:`podid.store.Store`)."""
        return cls(store.engine)

    def _read(self) -> AbstractContextManager[Connection]:
        return transaction(self.engine)

    def _write(self) -> AbstractContextManager[Connection]:
        return transaction(self.engine, write=True, lock=self._write_lock)

    # -- clusters ------------------------------------------------------------------------------
    def create_cluster(self, *, account_id: str, region: str, name: str, arn: str, cluster_id: str,
                       version: str, oidc_id: str, role_arn: str | None, endpoint: str | None,
                       tags: Mapping[str, str], issuer_keys: Mapping[str, Any],
                       now: float | None = None) -> ClusterRecord:
        """Insert a cluster (status ACTIVE) with its issuer key record; AlreadyExists if taken."""
        now = time.time() if now is None else now
        try:
            with self._write() as conn:
                pk = _insert(conn, eks_clusters, account_id=account_id, region=region, name=name, arn=arn,
                             cluster_id=cluster_id, version=version, oidc_id=oidc_id, role_arn=role_arn,
                             endpoint=endpoint, status="ACTIVE", tags=dict(tags), created_at=now)
                _insert(conn, eks_issuer_keys, cluster_pk=pk, record=dict(issuer_keys), updated_at=now)
                return _cluster(_by_pk(conn, eks_clusters, pk))
        except IntegrityError as exc:
            raise AlreadyExists(f"cluster {name}") from exc

    def get_cluster(self, account_id: str, region: str, name: str) -> ClusterRecord | None:
        c = eks_clusters.c
        with self._read() as conn:
            row = conn.execute(select(eks_clusters).where(
                c.account_id == account_id, c.region == region, c.name == name)).first()
        return _cluster(row) if row else None

    def get_cluster_by_oidc_id(self, oidc_id: str) -> ClusterRecord | None:
        with self._read() as conn:
            row = conn.execute(select(eks_clusters).where(eks_clusters.c.oidc_id == oidc_id)).first()
        return _cluster(row) if row else None

    def list_clusters(self, account_id: str, region: str, *, after_pk: int = 0,
                      limit: int = 100) -> list[ClusterRecord]:
        c = eks_clusters.c
        with self._read() as conn:
            rows = conn.execute(select(eks_clusters).where(
                c.account_id == account_id, c.region == region, c.pk > after_pk).order_by(c.pk).limit(limit))
            return [_cluster(r) for r in rows]

    def set_endpoint(self, cluster_pk: int, endpoint: str | None) -> None:
        """Record the cluster's Kubernetes API URL (hook for podid.k8s)."""
        with self._write() as conn:
            conn.execute(update(eks_clusters).where(eks_clusters.c.pk == cluster_pk)
                         .values(endpoint=endpoint))

    def delete_cluster(self, cluster_pk: int) -> None:
        """Delete a cluster with its keys and heartbeats; InUse while associations/add-ons exist."""
        with self._write() as conn:
            for table in (eks_pod_identity_associations, eks_addons):
                if _count(conn, table, table.c.cluster_pk == cluster_pk):
                    raise InUse(table.name)
            conn.execute(delete(eks_issuer_keys).where(eks_issuer_keys.c.cluster_pk == cluster_pk))
            conn.execute(delete(eks_agent_heartbeats).where(eks_agent_heartbeats.c.cluster_pk == cluster_pk))
            conn.execute(delete(eks_clusters).where(eks_clusters.c.pk == cluster_pk))

    # -- issuer keys ---------------------------------------------------------------------------
    def get_issuer_keys(self, cluster_pk: int) -> dict[str, Any] | None:
        with self._read() as conn:
            record = conn.execute(select(eks_issuer_keys.c.record).where(
                eks_issuer_keys.c.cluster_pk == cluster_pk)).scalar()
        return dict(record) if record else None

    def put_issuer_keys(self, cluster_pk: int, record: Mapping[str, Any], now: float | None = None) -> None:
        with self._write() as conn:
            conn.execute(update(eks_issuer_keys).where(eks_issuer_keys.c.cluster_pk == cluster_pk).values(
                record=dict(record), updated_at=time.time() if now is None else now))

    # -- add-ons -------------------------------------------------------------------------------
    def create_addon(self, cluster_pk: int, *, name: str, version: str, arn: str,
                     service_account_role_arn: str | None, configuration_values: str | None,
                     pod_identity_associations: Iterable[str], tags: Mapping[str, str],
                     now: float | None = None) -> AddonRecord:
        now = time.time() if now is None else now
        try:
            with self._write() as conn:
                pk = _insert(conn, eks_addons, cluster_pk=cluster_pk, name=name, version=version, arn=arn,
                             service_account_role_arn=service_account_role_arn,
                             configuration_values=configuration_values,
                             pod_identity_associations=list(pod_identity_associations), tags=dict(tags),
                             created_at=now, modified_at=now)
                return _addon(_by_pk(conn, eks_addons, pk))
        except IntegrityError as exc:
            raise AlreadyExists(f"addon {name}") from exc

    def get_addon(self, cluster_pk: int, name: str) -> AddonRecord | None:
        with self._read() as conn:
            row = conn.execute(select(eks_addons).where(
                eks_addons.c.cluster_pk == cluster_pk, eks_addons.c.name == name)).first()
        return _addon(row) if row else None

    def list_addons(self, cluster_pk: int) -> list[AddonRecord]:
        with self._read() as conn:
            rows = conn.execute(select(eks_addons).where(
                eks_addons.c.cluster_pk == cluster_pk).order_by(eks_addons.c.name))
            return [_addon(r) for r in rows]

    def delete_addon(self, addon_pk: int) -> None:
        with self._write() as conn:
            conn.execute(delete(eks_addons).where(eks_addons.c.pk == addon_pk))

    # -- heartbeats ----------------------------------------------------------------------------
    def record_heartbeat(self, cluster_pk: int, *, node_name: str, agent_id: str, status: str,
                         reasons: Iterable[str], now: float | None = None) -> None:
        """Upsert the latest heartbeat of ``node_name`` (one row per node)."""
        now = time.time() if now is None else now
        h = eks_agent_heartbeats.c
        values = {"agent_id": agent_id, "status": status, "reasons": list(reasons), "received_at": now}
        with self._write() as conn:
            done = conn.execute(update(eks_agent_heartbeats).where(
                h.cluster_pk == cluster_pk, h.node_name == node_name).values(**values)).rowcount
            if not done:
                _insert(conn, eks_agent_heartbeats, cluster_pk=cluster_pk, node_name=node_name, **values)

    def heartbeats(self, cluster_pk: int) -> list[HeartbeatRecord]:
        h = eks_agent_heartbeats.c
        with self._read() as conn:
            rows = conn.execute(select(eks_agent_heartbeats).where(h.cluster_pk == cluster_pk)
                                .order_by(h.node_name))
            return [_heartbeat(r) for r in rows]

    # -- Pod Identity associations ---------------------------------------------------------------
    def create_association(self, cluster_pk: int, new: NewAssociation,
                           now: float | None = None) -> AssociationRecord:
        """Insert one association; AlreadyExists (with the holder's id) for a taken namespace/SA."""
        now = time.time() if now is None else now
        a = eks_pod_identity_associations.c
        with self._write() as conn:
            taken = conn.execute(select(a.association_id).where(
                a.cluster_pk == cluster_pk, a.namespace == new.namespace,
                a.service_account == new.service_account)).scalar()
            if taken:
                raise AlreadyExists("association", taken)
            pk = _insert(conn, eks_pod_identity_associations, **self._values(cluster_pk, new, now))
            return _association(_by_pk(conn, eks_pod_identity_associations, pk))

    @staticmethod
    def _values(cluster_pk: int, new: NewAssociation, now: float) -> dict[str, Any]:
        return {"cluster_pk": cluster_pk, "association_id": new.association_id, "arn": new.arn,
                "namespace": new.namespace, "service_account": new.service_account,
                "role_arn": new.role_arn, "target_role_arn": new.target_role_arn,
                "external_id": new.external_id, "disable_session_tags": new.disable_session_tags,
                "policy": new.policy, "owner_arn": new.owner_arn, "tags": dict(new.tags),
                "created_at": now, "modified_at": now}

    def bulk_insert_associations(self, cluster_pk: int, items: Iterable[NewAssociation],
                                 batch: int = 5000, now: float | None = None) -> int:
        """Insert many associations in batches (benchmark/test setup); returns the count."""
        now = time.time() if now is None else now
        count, chunk = 0, []
        for item in items:
            chunk.append(self._values(cluster_pk, item, now))
            if len(chunk) >= batch:
                count, chunk = count + self._insert_many(chunk), []
        return count + (self._insert_many(chunk) if chunk else 0)

    def _insert_many(self, rows: list[dict[str, Any]]) -> int:
        with self._write() as conn:
            conn.execute(insert(eks_pod_identity_associations), rows)
        return len(rows)

    def get_association(self, cluster_pk: int, association_id: str) -> AssociationRecord | None:
        a = eks_pod_identity_associations.c
        with self._read() as conn:
            row = conn.execute(select(eks_pod_identity_associations).where(
                a.cluster_pk == cluster_pk, a.association_id == association_id)).first()
        return _association(row) if row else None

    def find_association(self, cluster_pk: int, namespace: str,
                         service_account: str) -> AssociationRecord | None:
        """The association of one ServiceAccount (unique index: constant time in the row count)."""
        a = eks_pod_identity_associations.c
        with self._read() as conn:
            row = conn.execute(select(eks_pod_identity_associations).where(
                a.cluster_pk == cluster_pk, a.namespace == namespace,
                a.service_account == service_account)).first()
        return _association(row) if row else None

    def list_associations(self, cluster_pk: int, *, namespace: str | None = None,
                          service_account: str | None = None, after_pk: int = 0,
                          limit: int = 100) -> list[AssociationRecord]:
        """Up to ``limit`` associations with pk > ``after_pk``, in creation order."""
        a = eks_pod_identity_associations.c
        where = [a.cluster_pk == cluster_pk, a.pk > after_pk]
        if namespace is not None:
            where.append(a.namespace == namespace)
        if service_account is not None:
            where.append(a.service_account == service_account)
        with self._read() as conn:
            rows = conn.execute(select(eks_pod_identity_associations).where(*where)
                                .order_by(a.pk).limit(limit))
            return [_association(r) for r in rows]

    def update_association(self, assoc_pk: int, changes: Mapping[str, Any],
                           now: float | None = None) -> AssociationRecord:
        """Apply column ``changes`` (role_arn, target_role_arn, external_id, disable_session_tags,
        policy) and bump ``modified_at``."""
        allowed = {"role_arn", "target_role_arn", "external_id", "disable_session_tags", "policy"}
        if not set(changes) <= allowed:
            raise ValueError(f"cannot update {sorted(set(changes) - allowed)}")
        a = eks_pod_identity_associations.c
        with self._write() as conn:
            conn.execute(update(eks_pod_identity_associations).where(a.pk == assoc_pk).values(
                **changes, modified_at=time.time() if now is None else now))
            return _association(_by_pk(conn, eks_pod_identity_associations, assoc_pk))

    def delete_association(self, assoc_pk: int) -> None:
        with self._write() as conn:
            conn.execute(delete(eks_pod_identity_associations)
                         .where(eks_pod_identity_associations.c.pk == assoc_pk))

    def count_associations(self, cluster_pk: int) -> int:
        a = eks_pod_identity_associations.c
        with self._read() as conn:
            return _count(conn, eks_pod_identity_associations, a.cluster_pk == cluster_pk)
