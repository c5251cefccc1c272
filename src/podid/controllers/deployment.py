"""Deployment controller: one ReplicaSet per pod template (``pod-template-hash``), rolled over
with the RollingUpdate budget (maxSurge / maxUnavailable) or Recreate, and the status that
``kubectl rollout status`` reads (observedGeneration, replicas, updated/ready/available,
conditions Available and Progressing).
"""

from __future__ import annotations

import copy
import math
from typing import Any

from podid.controllers import kit
from podid.controllers.replicaset import REPLICASETS
from podid.k8s import errors
from podid.k8s.ownership import owner_reference
from podid.k8s.registry import Cluster, WriteOptions
from podid.k8s.resources import ResourceType, find

DEPLOYMENTS: ResourceType = find("apps", "v1", "deployments")  # type: ignore[assignment]
HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX = "deployment.kubernetes.io/max-replicas"
COMPONENT = "deployment-controller"


def _int_or_percent(value: Any, total: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        frac = int(value[:-1] or 0) * total / 100
        return math.ceil(frac) if round_up else math.floor(frac)
    return int(value or 0)


def _budget(d: dict[str, Any], desired: int) -> tuple[int, int]:
    ru = ((d.get("spec") or {}).get("strategy") or {}).get("rollingUpdate") or {}
    surge = _int_or_percent(ru.get("maxSurge", "25%"), desired, True)
    unavailable = _int_or_percent(ru.get("maxUnavailable", "25%"), desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _without_hash(template: dict[str, Any]) -> dict[str, Any]:
    t = copy.deepcopy(template)
    labels = (t.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(HASH_LABEL, None)
    return t


def _revision(rs: dict[str, Any]) -> int:
    try:
        return int(((rs["metadata"].get("annotations") or {}).get(REVISION)) or 0)
    except ValueError:
        return 0


def _spec_replicas(rs: dict[str, Any]) -> int:
    return int((rs.get("spec") or {}).get("replicas") or 0)


def _st(rs: dict[str, Any], key: str) -> int:
    return int((rs.get("status") or {}).get(key) or 0)


def _new_replicaset(cluster: Cluster, d: dict[str, Any], revision: int, replicas: int) -> dict[str, Any]:
    meta, spec = d["metadata"], d.get("spec") or {}
    template = copy.deepcopy(spec.get("template") or {})
    for collisions in range(5):
        h = kit.template_hash(template, collisions)
        tmpl = copy.deepcopy(template)
        tmpl.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = h
        selector = copy.deepcopy(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})[HASH_LABEL] = h
        _, surge = _budget(d, replicas)
        rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
              "metadata": {"name": f"{meta['name']}-{h}", "namespace": meta.get("namespace"),
                           "labels": dict(tmpl["metadata"]["labels"]),
                           "annotations": {REVISION: str(revision), DESIRED: str(_spec_replicas(d)),
                                           MAX: str(_spec_replicas(d) + surge)},
                           "ownerReferences": [owner_reference(d)]},
              "spec": {"replicas": replicas, "minReadySeconds": int(spec.get("minReadySeconds") or 0),
                       "selector": selector, "template": tmpl}}
        try:
            out = cluster.create(REPLICASETS, meta.get("namespace"), rs, WriteOptions(manager=kit.MANAGER))
        except errors.StatusError as exc:
            if exc.code == 409:
                continue     # a ReplicaSet of that name with another template: next hash
            raise
        cluster.record_event(d, "ScalingReplicaSet", f"Scaled up replica set {out['metadata']['name']} "
                             f"from 0 to {replicas}", component=COMPONENT)
        return out
    raise errors.conflict("replicasets", "apps", meta["name"], "pod-template-hash collisions")


def _scale(cluster: Cluster, d: dict[str, Any], rs: dict[str, Any], replicas: int) -> dict[str, Any]:
    current = _spec_replicas(rs)
    if current == replicas:
        return rs
    new = copy.deepcopy(rs)
    new["spec"]["replicas"] = replicas
    ann = new["metadata"].setdefault("annotations", {})
    ann[DESIRED] = str(_spec_replicas(d))
    out = cluster.replace(REPLICASETS, rs["metadata"].get("namespace"), rs["metadata"]["name"], new,
                          WriteOptions(manager=kit.MANAGER))
    verb = "up" if replicas > current else "down"
    cluster.record_event(d, "ScalingReplicaSet", f"Scaled {verb} replica set {rs['metadata']['name']} "
                         f"from {current} to {replicas}", component=COMPONENT)
    return out


def _rolling(cluster: Cluster, d: dict[str, Any], new: dict[str, Any], olds: list[dict[str, Any]],
             desired: int) -> dict[str, Any]:
    surge, max_unavailable = _budget(d, desired)
    total = _spec_replicas(new) + sum(_spec_replicas(o) for o in olds)
    target = _spec_replicas(new)
    if target > desired:
        target = desired
    elif total < desired + surge:
        target = min(desired, target + desired + surge - total)
    new = _scale(cluster, d, new, target)
    available = _st(new, "availableReplicas") + sum(_st(o, "availableReplicas") for o in olds)
    can_remove = max(0, available - (desired - max_unavailable))
    for old in sorted(olds, key=lambda o: o["metadata"].get("creationTimestamp", "")):
        replicas = _spec_replicas(old)
        unhealthy = max(0, replicas - _st(old, "availableReplicas"))
        cut = min(replicas, unhealthy + can_remove)
        can_remove -= max(0, cut - unhealthy)
        _scale(cluster, d, old, replicas - cut)
    return new


def _recreate(cluster: Cluster, d: dict[str, Any], new: dict[str, Any], olds: list[dict[str, Any]],
              desired: int) -> dict[str, Any]:
    for old in olds:
        _scale(cluster, d, old, 0)
    if all(_st(o, "replicas") == 0 for o in olds):
        return _scale(cluster, d, new, desired)
    return new


def _cleanup(cluster: Cluster, d: dict[str, Any], olds: list[dict[str, Any]]) -> None:
    limit = int((d.get("spec") or {}).get("revisionHistoryLimit", 10))
    idle = [o for o in olds if _spec_replicas(o) == 0 and _st(o, "replicas") == 0]
    for rs in sorted(idle, key=_revision)[: max(0, len(idle) - limit)]:
        try:
            cluster.delete(REPLICASETS, rs["metadata"].get("namespace"), rs["metadata"]["name"], {})
        except errors.StatusError as exc:
            if exc.code != 404:
                raise


def reconcile(cluster: Cluster, d: dict[str, Any]) -> None:
    if kit.is_terminating(d):
        return
    spec = d.get("spec") or {}
    desired = int(spec.get("replicas", 1))
    rses = [rs for rs in kit.owned(cluster, REPLICASETS, d) if not kit.is_terminating(rs)]
    template = spec.get("template") or {}
    new = next((rs for rs in rses if _without_hash((rs.get("spec") or {}).get("template") or {}) == template),
               None)
    top = max((_revision(rs) for rs in rses), default=0)
    olds = [rs for rs in rses if rs is not new]
    if spec.get("paused"):
        _write_status(cluster, d, new, rses, desired)
        return
    if new is None:
        new = _new_replicaset(cluster, d, top + 1, 0 if olds else desired)
    elif _revision(new) < top:          # rolled back to an older template: it becomes the newest revision
        new = kit.write_status(cluster, REPLICASETS, new, new.get("status") or {},
                               {REVISION: str(top + 1)}) or new
    if (spec.get("strategy") or {}).get("type") == "Recreate":
        new = _recreate(cluster, d, new, olds, desired)
    else:
        new = _rolling(cluster, d, new, olds, desired)
    _cleanup(cluster, d, olds)
    _write_status(cluster, d, new, [new, *olds], desired)


def _write_status(cluster: Cluster, d: dict[str, Any], new: dict[str, Any] | None,
                  rses: list[dict[str, Any]], desired: int) -> None:
    fresh = [cluster.store.get(REPLICASETS.group, REPLICASETS.resource, rs["metadata"].get("namespace", ""),
                               rs["metadata"]["name"]) or rs for rs in rses]
    new_fresh = next((f for f in fresh if new is not None and f["metadata"]["uid"] == new["metadata"]["uid"]),
                     None)
    replicas = sum(_st(rs, "replicas") for rs in fresh)
    updated = _st(new_fresh, "replicas") if new_fresh else 0
    ready = sum(_st(rs, "readyReplicas") for rs in fresh)
    available = sum(_st(rs, "availableReplicas") for rs in fresh)
    _, max_unavailable = _budget(d, desired)
    previous = (d.get("status") or {}).get("conditions") or []
    name = new_fresh["metadata"]["name"] if new_fresh else d["metadata"]["name"]
    ok = available >= desired - max_unavailable
    reason = "MinimumReplicasAvailable" if ok else "MinimumReplicasUnavailable"
    message = "Deployment has minimum availability." if ok else \
        "Deployment does not have minimum availability."
    conditions = [kit.condition("Available", ok, reason, message, previous)]
    complete = updated == desired and replicas == desired and available >= desired
    conditions.append(kit.condition(
        "Progressing", True, "NewReplicaSetAvailable" if complete else "ReplicaSetUpdated",
        f'ReplicaSet "{name}" ' + ("has successfully progressed." if complete else "is progressing."),
        previous))
    status: dict[str, Any] = {"observedGeneration": int(d["metadata"].get("generation") or 1),
                              "replicas": replicas, "updatedReplicas": updated, "readyReplicas": ready,
                              "availableReplicas": available, "conditions": conditions}
    if desired - available > 0:
        status["unavailableReplicas"] = desired - available
    for key in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"):
        if not status[key]:
            del status[key]
    annotations = {REVISION: str(_revision(new_fresh))} if new_fresh else None
    kit.write_status(cluster, DEPLOYMENTS, d, status, annotations)


def reconcile_all(cluster: Cluster, failures: Any) -> None:
    items, _ = cluster.store.list(DEPLOYMENTS.group, DEPLOYMENTS.resource, None)
    for d in items:
        failures.run(cluster, DEPLOYMENTS, d, reconcile)
