"""ORM models of podid.eks's tables: clusters, add-ons, Pod Identity associations, issuer keys,
agent heartbeats (used by :mod:`podid.eks.repo`; migration 0002_eks creates them from here).

Timestamps are epoch seconds (floats); constraint names are the ones 0002_eks gave existing databases.
``eks_clusters`` ... ``eks_agent_heartbeats`` are the models' Core tables (what the repository uses).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from podid.store.schema.base import Base, table_of


def _cluster_fk(name: str) -> Any:
    """The `cluster_pk` column of a table that belongs to one cluster."""
    return mapped_column(Integer, ForeignKey("eks_clusters.pk", name=name), nullable=False)


class EksCluster(Base):
    __tablename__ = "eks_clusters"
    __table_args__ = (
        UniqueConstraint("arn", name="uq_eks_clusters_arn"),
        UniqueConstraint("oidc_id", name="uq_eks_clusters_oidc_id"),
        UniqueConstraint("account_id", "region", "name", name="uq_eks_clusters_name"),
    )
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    arn: Mapped[str] = mapped_column(String(256))
    cluster_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[str] = mapped_column(String(16))
    oidc_id: Mapped[str] = mapped_column(String(32))
    role_arn: Mapped[str | None] = mapped_column(String(2048))
    endpoint: Mapped[str | None] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(16))
    tags: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float)


class EksAddon(Base):
    __tablename__ = "eks_addons"
    __table_args__ = (
        UniqueConstraint("cluster_pk", "name", name="uq_eks_addons_name"),
        Index("ix_eks_addons_cluster", "cluster_pk"),
    )
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cluster_pk: Mapped[int] = _cluster_fk("fk_eks_addons_cluster")
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(64))
    arn: Mapped[str] = mapped_column(String(512))
    service_account_role_arn: Mapped[str | None] = mapped_column(String(2048))
    configuration_values: Mapped[str | None] = mapped_column(Text)
    pod_identity_associations: Mapped[list[str]] = mapped_column(JSON)
    tags: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float)
    modified_at: Mapped[float] = mapped_column(Float)


class EksAssociation(Base):
    """A Pod Identity association: (namespace, ServiceAccount) of a cluster -> IAM role."""

    __tablename__ = "eks_pod_identity_associations"
    __table_args__ = (
        UniqueConstraint("association_id", name="uq_eks_pia_id"),
        UniqueConstraint("cluster_pk", "namespace", "service_account", name="uq_eks_pia_subject"),
    )
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cluster_pk: Mapped[int] = _cluster_fk("fk_eks_pia_cluster")
    association_id: Mapped[str] = mapped_column(String(19))
    arn: Mapped[str] = mapped_column(String(512))
    namespace: Mapped[str] = mapped_column(String(253))
    service_account: Mapped[str] = mapped_column(String(253))
    role_arn: Mapped[str] = mapped_column(String(2048))
    target_role_arn: Mapped[str | None] = mapped_column(String(2048))
    external_id: Mapped[str | None] = mapped_column(String(64))
    disable_session_tags: Mapped[bool]
    policy: Mapped[str | None] = mapped_column(Text)
    owner_arn: Mapped[str | None] = mapped_column(String(2048))
    tags: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float)
    modified_at: Mapped[float] = mapped_column(Float)


class EksIssuerKeys(Base):
    """A cluster's OIDC issuer keys: `IssuerKeys.to_record()`, PKCS#8 PEM inside (secret)."""

    __tablename__ = "eks_issuer_keys"
    cluster_pk: Mapped[int] = mapped_column(
        Integer, ForeignKey("eks_clusters.pk", name="fk_eks_issuer_keys_cluster"), primary_key=True
    )
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[float] = mapped_column(Float)


class EksHeartbeat(Base):
    """The latest heartbeat of one node's Pod Identity agent."""

    __tablename__ = "eks_agent_heartbeats"
    __table_args__ = (
        UniqueConstraint("cluster_pk", "node_name", name="uq_eks_heartbeats_node"),
        Index("ix_eks_heartbeats_cluster", "cluster_pk"),
    )
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cluster_pk: Mapped[int] = _cluster_fk("fk_eks_heartbeats_cluster")
    node_name: Mapped[str] = mapped_column(String(253))
    agent_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    received_at: Mapped[float] = mapped_column(Float)


eks_clusters = table_of(EksCluster)
eks_addons = table_of(EksAddon)
eks_pod_identity_associations = table_of(EksAssociation)
eks_issuer_keys = table_of(EksIssuerKeys)
eks_agent_heartbeats = table_of(EksHeartbeat)
