"""ReplicaSet controller: keep ``spec.replicas`` live pods of the template, report them in status.

A pod counts while it is not terminating and not Succeeded/Failed (finished pods are deleted and
replaced, as the ReplicaSet controller plus pod GC do). Surplus pods are deleted not-ready first,
then newest first. ``availableReplicas`` = ready pods (``minReadySeconds`` is not waited for).
"""

from __future__ import annotations

from typing import Any

from podid.controllers import kit
from podid.k8s.registry import Cluster
from podid.k8s.resources import PODS, ResourceType, find

REPLICASETS: ResourceType = find("apps", "v1", "replicasets")  # type: ignore[assignment]
BURST = 20   # pods created or deleted per pass, as the controller's slow-start batches


def _live(pods: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    live: list[dict[str, Any]] = []
    finished: list[dict[str, Any]] = []
    for pod in pods:
        if kit.is_terminating(pod):
            continue
        (finished if kit.phase(pod) in ("Succeeded", "Failed") else live).append(pod)
    return live, finished


def reconcile(cluster: Cluster, rs: dict[str, Any]) -> None:
    if kit.is_terminating(rs):
        return
    spec = rs.get("spec") or {}
    template = spec.get("template") or {}
    pods = kit.owned(cluster, PODS, rs)
    live, finished = _live(pods)
    for pod in finished:
        kit.delete_pod(cluster, pod)
    want = int(spec.get("replicas", 1))
    if len(live) < want:
        for _ in range(min(want - len(live), BURST)):
            live.append(kit.create_pod(cluster, rs, template))
    elif len(live) > want:
        doomed = sorted(live, key=lambda p: (kit.is_ready(p), _neg_time(p)))[: len(live) - want]
        for pod in doomed:
            kit.delete_pod(cluster, pod)
        live = [p for p in live if p not in doomed]
    ready = sum(1 for p in live if kit.is_ready(p))
    labels = (template.get("metadata") or {}).get("labels") or {}
    full = sum(1 for p in live
               if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in labels.items()))
    status: dict[str, Any] = {"replicas": len(live), "fullyLabeledReplicas": full,
                              "observedGeneration": int(rs["metadata"].get("generation") or 1)}
    if ready:
        status["readyReplicas"] = ready
        status["availableReplicas"] = ready
    kit.write_status(cluster, REPLICASETS, rs, status)


def _neg_time(pod: dict[str, Any]) -> str:
    """Sort key putting the newest pod first (timestamps are fixed-width RFC 3339)."""
    ts = pod["metadata"].get("creationTimestamp", "")
    return "".join(chr(0x7F - ord(ch)) for ch in ts)


def reconcile_all(cluster: Cluster, failures: Any) -> None:
    items, _ = cluster.store.list(REPLICASETS.group, REPLICASETS.resource, None)
    for rs in items:
        failures.run(cluster, REPLICASETS, rs, reconcile)
