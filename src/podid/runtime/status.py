"""Writing what the "kubelet" observes back to the cluster: pod status and events.

The runtime writes straight to the cluster's :class:`~podid.k8s.store.ObjectStore` (as the kubelet
writes the ``pods/status`` subresource): read the live pod, check its uid, replace ``status`` (and
``spec.nodeName`` when binding), retry on resourceVersion conflicts. Events use the shape of
:meth:`podid.k8s.registry.Cluster.record_event`, with ``source.component`` ``kubelet``.
"""

from __future__ import annotations

import contextlib
import copy
import threading
import time
from collections.abc import Mapping
from typing import Any

from podid.k8s.meta import now_rfc3339, prepare_new, random_suffix
from podid.k8s.store import AlreadyExistsError, ConflictError, NotFoundError, ObjectStore

CONDITION_TYPES = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")


class Conditions:
    """Pod conditions with Kubernetes' ``lastTransitionTime`` bookkeeping."""

    def __init__(self) -> None:
        self._state: dict[str, tuple[str, str, str | None, str | None]] = {}

    def set(self, ctype: str, ok: bool, reason: str | None = None, message: str | None = None) -> None:
        status = "True" if ok else "False"
        prev = self._state.get(ctype)
        when = prev[1] if prev and prev[0] == status else now_rfc3339()
        self._state[ctype] = (status, when, None if ok else reason, None if ok else message)

    def render(self) -> list[dict[str, Any]]:
        out = []
        for ctype in CONDITION_TYPES:
            if ctype not in self._state:
                continue
            status, when, reason, message = self._state[ctype]
            cond: dict[str, Any] = {"type": ctype, "status": status, "lastProbeTime": None,
                                    "lastTransitionTime": when}
            if reason:
                cond["reason"] = reason
            if message:
                cond["message"] = message
            out.append(cond)
        return out


def write_status(
    store: ObjectStore,
    namespace: str,
    name: str,
    uid: str,
    status: Mapping[str, Any],
    node: str | None = None,
    attempts: int = 8,
) -> bool:
    """Replace the pod's status (keeping fields the runtime does not own, e.g. ``qosClass``);
    False when the pod is gone or was re-created (other uid)."""
    for _ in range(attempts):
        live = store.get("", "pods", namespace, name)
        if live is None or live["metadata"].get("uid") != uid:
            return False
        new = copy.deepcopy(live)
        merged = dict(new.get("status") or {})
        merged.update(status)
        new["status"] = merged
        if node:
            new.setdefault("spec", {})["nodeName"] = node
        if new == live:
            return True
        try:
            store.update("", "pods", new, int(live["metadata"]["resourceVersion"]))
            return True
        except ConflictError:
            time.sleep(0.01)
        except NotFoundError:
            return False
    return False


class EventRecorder:
    """Records events on a pod; an identical (reason, message) is not repeated within ``quiet`` s."""

    def __init__(self, store: ObjectStore, component: str = "kubelet", host: str = "",
                 quiet: float = 60.0) -> None:
        self.store = store
        self.component = component
        self.host = host
        self.quiet = quiet
        self._seen: dict[tuple[str, str, str], float] = {}
        self._lock = threading.Lock()

    def __call__(self, pod: Mapping[str, Any], reason: str, message: str, etype: str = "Normal",
                 component: str | None = None, field_path: str | None = None) -> None:
        meta = pod.get("metadata") or {}
        key = (str(meta.get("uid")), reason, message)
        now = time.monotonic()
        with self._lock:
            if now - self._seen.get(key, -1e9) < self.quiet:
                return
            self._seen[key] = now
            if len(self._seen) > 4096:
                self._seen.clear()
        ns = meta.get("namespace") or "default"
        stamp = now_rfc3339()
        comp = component or self.component
        involved = {
            "kind": "Pod",
            "namespace": ns,
            "name": meta.get("name"),
            "uid": meta.get("uid"),
            "apiVersion": "v1",
            "resourceVersion": meta.get("resourceVersion"),
        }
        if field_path:
            involved["fieldPath"] = field_path
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{meta.get('name')}.{random_suffix(10)}", "namespace": ns},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "type": etype,
            "count": 1,
            "source": {"component": comp, **({"host": self.host} if comp == "kubelet" and self.host else {})},
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "reportingComponent": comp,
            "reportingInstance": self.host if comp == "kubelet" else "",
        }
        prepare_new(event, ns)
        with contextlib.suppress(AlreadyExistsError):
            self.store.create("", "events", event)
