"""Repository for podid.eks's tables: clusters, add-ons, Pod Identity associations, issuer keys,
agent heartbeats.

The tables are SQLAlchemy Core definitions on their own ``MetaData`` (created by the alembic
revision ``0002_eks``; they are not ORM models of :mod:`podid.store.models`). :class:`EksRepo`
works on the :class:`podid.store.Store`'s engine (``store.engine``): reads are plain transactions,
writes use the store's ``BEGIN IMMEDIATE`` execution option on SQLite. Records are frozen
dataclasses; timestamps are epoch seconds (floats).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from podid.store.engine import WRITE_OPTION

metadata = MetaData()

eks_clusters = Table(
    "eks_clusters", metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(100), nullable=False),
    Column("arn", String(256), nullable=False, unique=True),
    Column("cluster_id", String(36), nullable=False),
    Column("version", String(16), nullable=False),
    Column("oidc_id", String(32), nullable=False, unique=True),
    Column("role_arn", String(2048), nullable=True),
    Column("endpoint", String(1024), nullable=True),
    Column("status", String(16), nullable=False),
    Column("tags", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "region", "name", name="uq_eks_clusters_name"),
)

eks_addons = Table(
    "eks_addons", metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("cluster_pk", Integer, ForeignKey("eks_clusters.pk"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("version", String(64), nullable=False),
    Column("arn", String(512), nullable=False),
    Column("service_account_role_arn", String(2048), nullable=True),
    Column("configuration_values", Text, nullable=True),
    Column("pod_identity_associations", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("modified_at", Float, nullable=False),
    UniqueConstraint("cluster_pk", "name", name="uq_eks_addons_name"),
)

eks_pod_identity_associations = Table(
    "eks_pod_identity_associations", metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("cluster_pk", Integer, ForeignKey("eks_clusters.pk"), nullable=False),
    Column("association_id", String(19), nullable=False, unique=True),
    Column("arn", String(512), nullable=False),
    Column("namespace", String(253), nullable=False),
    Column("service_account", String(253), nullable=False),
    Column("role_arn", String(2048), nullable=False),
    Column("target_role_arn", String(2048), nullable=True),
    Column("external_id", String(64), nullable=True),
    Column("disable_session_tags", Boolean, nullable=False),
    Column("policy", Text, nullable=True),
    Column("owner_arn", String(2048), nullable=True),
    Column("tags", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("modified_at", Float, nullable=False),
    UniqueConstraint("cluster_pk", "namespace", "service_account", name="uq_eks_pia_subject"),
)

eks_issuer_keys = Table(
    "eks_issuer_keys", metadata,
    Column("cluster_pk", Integer, ForeignKey("eks_clusters.pk"), primary_key=True),
    Column("record", JSON, nullable=False),      # IssuerKeys.to_record(): PKCS#8 PEM inside (secret)
    Column("updated_at", Float, nullable=False),
)

eks_agent_heartbeats = Table(
    "eks_agent_heartbeats", metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("cluster_pk", Integer, ForeignKey("eks_clusters.pk"), nullable=False),
    Column("node_name", String(253), nullable=False),
    Column("agent_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("received_at", Float, nullable=False),
    UniqueConstraint("cluster_pk", "node_name", name="uq_eks_heartbeats_node"),
)

Index("ix_eks_addons_cluster", eks_addons.c.cluster_pk)
Index("ix_eks_heartbeats_cluster", eks_agent_heartbeats.c.cluster_pk)


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

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._write_lock, self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                yield conn

    # -- clusters ------------------------------------------------------------------------------
    def create_cluster(self, *, account_id: str, region: str, name: str, arn: str, cluster_id: str,
                       version: str, oidc_id: str, role_arn: str | None, endpoint: str | None,
                       tags: Mapping[str, str], issuer_keys: Mapping[str, Any],
                       now: float | None = None) -> ClusterRecord:
        """Insert a cluster (status ACTIVE) with its issuer key record; AlreadyExists if taken."""
        now = time.time() if now is None else now
        try:
            with self._write() as conn:
                pk = conn.execute(insert(eks_clusters).values(
                    account_id=account_id, region=region, name=name, arn=arn, cluster_id=cluster_id,
                    version=version, oidc_id=oidc_id, role_arn=role_arn, endpoint=endpoint,
                    status="ACTIVE", tags=dict(tags), created_at=now)).inserted_primary_key[0]  # type: ignore[index]
                conn.execute(insert(eks_issuer_keys).values(cluster_pk=pk, record=dict(issuer_keys),
                                                            updated_at=now))
                row = conn.execute(select(eks_clusters).where(eks_clusters.c.pk == pk)).one()
                return _cluster(row)
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
                n = conn.execute(select(func.count()).select_from(table).where(
                    table.c.cluster_pk == cluster_pk)).scalar()
                if n:
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
                pk = conn.execute(insert(eks_addons).values(
                    cluster_pk=cluster_pk, name=name, version=version, arn=arn,
                    service_account_role_arn=service_account_role_arn,
                    configuration_values=configuration_values,
                    pod_identity_associations=list(pod_identity_associations), tags=dict(tags),
                    created_at=now, modified_at=now)).inserted_primary_key[0]  # type: ignore[index]
                return _addon(conn.execute(select(eks_addons).where(eks_addons.c.pk == pk)).one())
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
                conn.execute(insert(eks_agent_heartbeats).values(cluster_pk=cluster_pk, node_name=node_name,
                                                                 **values))

    def heartbeats(self, cluster_pk: int) -> list[HeartbeatRecord]:
        h = eks_agent_heartbeats.c
        with self._read() as conn:
            rows = conn.execute(select(eks_agent_heartbeats).where(h.cluster_pk == cluster_pk)
                                .order_by(h.node_name))
            return [HeartbeatRecord(r.node_name, r.agent_id, r.status, tuple(r.reasons or ()),
                                    float(r.received_at)) for r in rows]

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
            pk = conn.execute(insert(eks_pod_identity_associations).values(
                **self._values(cluster_pk, new, now))).inserted_primary_key[0]  # type: ignore[index]
            return _association(conn.execute(select(eks_pod_identity_associations).where(a.pk == pk)).one())

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
                with self._write() as conn:
                    conn.execute(insert(eks_pod_identity_associations), chunk)
                count, chunk = count + len(chunk), []
        if chunk:
            with self._write() as conn:
                conn.execute(insert(eks_pod_identity_associations), chunk)
            count += len(chunk)
        return count

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
            row = conn.execute(select(eks_pod_identity_associations).where(a.pk == assoc_pk)).one()
            return _association(row)

    def delete_association(self, assoc_pk: int) -> None:
        with self._write() as conn:
            conn.execute(delete(eks_pod_identity_associations)
                         .where(eks_pod_identity_associations.c.pk == assoc_pk))

    def count_associations(self, cluster_pk: int) -> int:
        a = eks_pod_identity_associations.c
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(eks_pod_identity_associations)
                                    .where(a.cluster_pk == cluster_pk)).scalar() or 0)
