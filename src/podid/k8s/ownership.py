"""ownerReferences: who depends on whom, and the deletion propagation policies that use it.

``Background`` (the default): the owner goes now, the garbage collector
(:mod:`podid.controllers.gc`) deletes dependents whose owner is gone. ``Foreground``: the owner is
marked (``deletionTimestamp`` + the ``foregroundDeletion`` finalizer) and stays until the collector
has deleted its dependents. ``Orphan``: the dependents lose their reference to the owner, which
goes now.
"""

from __future__ import annotations

import contextlib
from typing import Any

from podid.k8s.catalog import TypeCatalog
from podid.k8s.resources import ResourceType
from podid.k8s.store import ConflictError, NotFoundError, ObjectStore

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
POLICIES = ("Orphan", "Foreground", "Background")


def owner_uids(obj: dict[str, Any]) -> list[str]:
    return [str(r.get("uid")) for r in (obj.get("metadata") or {}).get("ownerReferences") or []]


def controller_uid(obj: dict[str, Any]) -> str | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None


def owner_reference(owner: dict[str, Any], *, block: bool = True) -> dict[str, Any]:
    """The controller reference a controller puts on what it creates."""
    meta = owner["metadata"]
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": meta["name"],
            "uid": meta["uid"], "controller": True, "blockOwnerDeletion": block}


def namespaced_types(store: ObjectStore) -> list[ResourceType]:
    """Every stored namespaced type, custom resources included."""
    return [rt for rt in TypeCatalog(store).all() if rt.namespaced and rt.storable]


def dependents(store: ObjectStore, owner: dict[str, Any]) -> list[tuple[ResourceType, dict[str, Any]]]:
    """Objects in the owner's namespace (every namespace for a cluster-scoped owner) that reference it."""
    meta = owner.get("metadata") or {}
    uid, ns = meta.get("uid"), meta.get("namespace") or None
    out: list[tuple[ResourceType, dict[str, Any]]] = []
    for rt in namespaced_types(store):
        items, _ = store.list(rt.group, rt.resource, ns)
        out.extend((rt, item) for item in items if uid in owner_uids(item))
    return out


def orphan(store: ObjectStore, owner: dict[str, Any]) -> None:
    """Remove the references to ``owner`` from its dependents (propagationPolicy=Orphan)."""
    uid = owner["metadata"].get("uid")
    for rt, item in dependents(store, owner):
        for _ in range(5):
            refs = [r for r in item["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
            if refs:
                item["metadata"]["ownerReferences"] = refs
            else:
                item["metadata"].pop("ownerReferences", None)
            try:
                store.update(rt.group, rt.resource, item, int(item["metadata"]["resourceVersion"]))
                break
            except ConflictError:
                fresh = store.get(rt.group, rt.resource, item["metadata"].get("namespace", ""),
                                  item["metadata"]["name"])
                if fresh is None:
                    break
                item = fresh
            except NotFoundError:
                break


def propagation_policy(options: dict[str, Any]) -> str:
    """The policy of a DeleteOptions body (``orphanDependents`` is the deprecated spelling)."""
    policy = options.get("propagationPolicy")
    if policy:
        return str(policy)
    if options.get("orphanDependents") is True:
        return "Orphan"
    return "Background"


def remove_finalizer(store: ObjectStore, rt: ResourceType, obj: dict[str, Any], finalizer: str) -> None:
    """Drop ``finalizer``; an object being deleted with no finalizer left is removed."""
    meta = obj["metadata"]
    rest = [f for f in meta.get("finalizers") or [] if f != finalizer]
    with contextlib.suppress(NotFoundError, ConflictError):
        if not rest and meta.get("deletionTimestamp"):
            store.delete(rt.group, rt.resource, meta.get("namespace", ""), meta["name"])
            return
        meta["finalizers"] = rest
        store.update(rt.group, rt.resource, obj, int(meta["resourceVersion"]))
