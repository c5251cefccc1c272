"""ORM models of podid.k8s's tables (used by :mod:`podid.k8s.sqlstore`; migration 0003_k8s creates
them from here). Every row carries its ``cluster``, so all podid clusters share one database:

* ``k8s_objects``   - the current objects (``body`` is the JSON the API returns);
* ``k8s_revisions`` - one row per cluster: the resourceVersion counter and the compaction horizon;
* ``k8s_watch_log`` - every write, for watch; compacted to a bounded length.

``k8s_objects``, ``k8s_revisions`` and ``k8s_watch_log`` below are the models' Core tables (what
podid.k8s.sqlstore and podid.eks.pods run their statements on).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from podid.store.schema.base import Base, table_of


class _K8sKey:
    """The key of an object: cluster, API group, resource, namespace ("" if cluster-scoped), name."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True, sort_order=-3)
    cluster: Mapped[str] = mapped_column(String(100), sort_order=-3)
    api_group: Mapped[str] = mapped_column(String(253), sort_order=-1)
    resource: Mapped[str] = mapped_column(String(100), sort_order=-1)
    namespace: Mapped[str] = mapped_column(String(253), sort_order=-1)
    name: Mapped[str] = mapped_column(String(253), sort_order=-1)
    body: Mapped[str] = mapped_column(Text, sort_order=1)


class K8sObject(_K8sKey, Base):
    __tablename__ = "k8s_objects"
    __table_args__ = (
        UniqueConstraint("cluster", "api_group", "resource", "namespace", "name", name="uq_k8s_objects_key"),
    )
    uid: Mapped[str] = mapped_column(String(36))
    resource_version: Mapped[int] = mapped_column(BigInteger)


class K8sRevision(Base):
    __tablename__ = "k8s_revisions"
    cluster: Mapped[str] = mapped_column(String(100), primary_key=True)
    current: Mapped[int] = mapped_column(BigInteger)
    compacted: Mapped[int] = mapped_column(BigInteger)


class K8sWatchEvent(_K8sKey, Base):
    __tablename__ = "k8s_watch_log"
    __table_args__ = (Index("ix_k8s_watch_log_cluster_rv", "cluster", "resource_version"),)
    resource_version: Mapped[int] = mapped_column(BigInteger, sort_order=-2)
    event_type: Mapped[str] = mapped_column(String(16), sort_order=-2)


k8s_objects = table_of(K8sObject)
k8s_revisions = table_of(K8sRevision)
k8s_watch_log = table_of(K8sWatchEvent)
