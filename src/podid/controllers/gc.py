"""Garbage collector: dependents whose owners are all gone are deleted (background propagation);
an owner marked for foreground deletion loses its ``foregroundDeletion`` finalizer (and goes)
once its dependents are gone, which are deleted foreground themselves first.
"""

from __future__ import annotations

from typing import Any

from podid.k8s import errors
from podid.k8s.ownership import FOREGROUND, dependents, namespaced_types, owner_uids, remove_finalizer
from podid.k8s.registry import Cluster


def _uids(cluster: Cluster) -> set[str]:
    out: set[str] = set()
    for rt in cluster.all_types():
        if rt.storable:
            items, _ = cluster.store.list(rt.group, rt.resource, None)
            out.update(str(o["metadata"].get("uid")) for o in items)
    return out


def _delete(cluster: Cluster, rt: Any, obj: dict[str, Any], policy: str) -> None:
    meta = obj["metadata"]
    try:
        cluster.delete(rt, meta.get("namespace"), meta["name"], {"propagationPolicy": policy})
    except errors.StatusError as exc:
        if exc.code not in (404, 409):
            raise


def collect(cluster: Cluster) -> None:
    """One pass over every namespaced object."""
    live = _uids(cluster)
    for rt in namespaced_types(cluster.store):
        items, _ = cluster.store.list(rt.group, rt.resource, None)
        for obj in items:
            meta = obj["metadata"]
            if FOREGROUND in (meta.get("finalizers") or []) and meta.get("deletionTimestamp"):
                deps = dependents(cluster.store, obj)
                for dep_rt, dep in deps:
                    if not dep["metadata"].get("deletionTimestamp"):
                        _delete(cluster, dep_rt, dep, "Foreground")
                if not deps:
                    remove_finalizer(cluster.store, rt, obj, FOREGROUND)
                continue
            owners = owner_uids(obj)
            if owners and not any(uid in live for uid in owners) and not meta.get("deletionTimestamp"):
                _delete(cluster, rt, obj, "Background")
