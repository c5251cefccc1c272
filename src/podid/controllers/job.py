"""Job controller (NonIndexed): run pods until ``completions`` succeeded, at most ``parallelism``
at a time; more than ``backoffLimit`` failed pods fail the Job. Finished pods are kept (as on
Kubernetes, for ``kubectl logs``); status carries active/ready/succeeded/failed, startTime,
completionTime and the SuccessCriteriaMet + Complete (or FailureTarget + Failed) conditions.
"""

from __future__ import annotations

from typing import Any

from podid.controllers import kit
from podid.k8s.meta import now_rfc3339
from podid.k8s.registry import Cluster
from podid.k8s.resources import PODS, ResourceType, find

REACHED = "Reached expected number of succeeded pods"
BACKOFF = "Job has reached the specified backoff limit"
JOBS: ResourceType = find("batch", "v1", "jobs")  # type: ignore[assignment]


def _finished(job: dict[str, Any]) -> bool:
    return any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
               for c in (job.get("status") or {}).get("conditions") or [])


def reconcile(cluster: Cluster, job: dict[str, Any]) -> None:
    if kit.is_terminating(job) or _finished(job):
        return
    spec, status = job.get("spec") or {}, dict(job.get("status") or {})
    pods = [p for p in kit.owned(cluster, PODS, job) if not kit.is_terminating(p)]
    succeeded = sum(1 for p in pods if kit.phase(p) == "Succeeded")
    failed = sum(1 for p in pods if kit.phase(p) == "Failed")
    active = [p for p in pods if kit.phase(p) not in ("Succeeded", "Failed")]
    completions = int(spec.get("completions") or 1)
    parallelism = int(spec.get("parallelism", 1) or 0)
    backoff = int(spec.get("backoffLimit", 6))
    status.setdefault("startTime", now_rfc3339())
    conditions = list(status.get("conditions") or [])
    now = now_rfc3339()
    if succeeded >= completions:
        for pod in active:
            kit.delete_pod(cluster, pod)
        active = []
        status["completionTime"] = now
        conditions += [_cond(t, "CompletionsReached", REACHED) for t in ("SuccessCriteriaMet", "Complete")]
    elif failed > backoff:
        for pod in active:
            kit.delete_pod(cluster, pod)
        active = []
        conditions += [_cond(t, "BackoffLimitExceeded", BACKOFF) for t in ("FailureTarget", "Failed")]
    elif not spec.get("suspend"):
        room = min(parallelism, completions - succeeded) - len(active)
        for _ in range(max(0, room)):
            active.append(kit.create_pod(cluster, job, spec.get("template") or {}))
    status.update({"active": len(active), "ready": sum(1 for p in active if kit.is_ready(p)),
                   "succeeded": succeeded, "failed": failed, "terminating": 0,
                   "uncountedTerminatedPods": {}})
    for key in ("active", "succeeded", "failed"):
        if not status[key]:
            del status[key]
    if conditions:
        status["conditions"] = conditions
    kit.write_status(cluster, JOBS, job, status)


def _cond(ctype: str, reason: str, message: str) -> dict[str, Any]:
    now = now_rfc3339()
    return {"type": ctype, "status": "True", "lastProbeTime": now, "lastTransitionTime": now,
            "reason": reason, "message": message}


def reconcile_all(cluster: Cluster, failures: Any) -> None:
    items, _ = cluster.store.list(JOBS.group, JOBS.resource, None)
    for job in items:
        failures.run(cluster, JOBS, job, reconcile)
