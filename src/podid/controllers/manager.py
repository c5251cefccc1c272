"""The controllers' loop for one cluster: level-triggered passes on a thread, bounded waits.

A pass runs when the store's resourceVersion moved, and at least every :data:`RESYNC_SECONDS`
(so failed creations are retried). An object whose reconcile failed is retried after a growing
back-off (:class:`Failures`), with a ``FailedCreate`` Warning event on it, as Kubernetes records.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from podid.controllers import deployment, gc, job, replicaset
from podid.k8s import errors
from podid.k8s.registry import Cluster
from podid.k8s.resources import ResourceType

log = logging.getLogger("podid.controllers")

TICK_SECONDS = 0.2
RESYNC_SECONDS = 5.0
MAX_BACKOFF = 30.0


class Failures:
    """Per-object back-off after failed reconciles."""

    def __init__(self) -> None:
        self._next: dict[str, tuple[float, float]] = {}   # uid -> (retry at, delay)

    def run(self, cluster: Cluster, rt: ResourceType, obj: dict[str, Any],
            fn: Callable[[Cluster, dict[str, Any]], None]) -> None:
        uid = str(obj["metadata"].get("uid"))
        now = time.monotonic()
        retry_at, delay = self._next.get(uid, (0.0, 0.5))
        if now < retry_at:
            return
        try:
            fn(cluster, obj)
            self._next.pop(uid, None)
        except errors.StatusError as exc:
            delay = min(delay * 2, MAX_BACKOFF)
            self._next[uid] = (now + delay, delay)
            reason = "FailedCreate" if exc.code in (403, 404, 422) else "FailedSync"
            cluster.record_event(obj, reason, f"Error creating: {exc.message}", "Warning",
                                 component=f"{rt.singular}-controller")
        except Exception:  # noqa: BLE001 - one object's failure must not stop the others
            delay = min(delay * 2, MAX_BACKOFF)
            self._next[uid] = (now + delay, delay)
            log.exception("cluster %s: reconcile of %s %s failed", cluster.name, rt.kind,
                          obj["metadata"].get("name"))


class Controllers:
    """Deployment, ReplicaSet, Job and garbage-collector loops over one cluster."""

    def __init__(self, cluster: Cluster, tick: float = TICK_SECONDS) -> None:
        self.cluster = cluster
        self.tick = tick
        self.failures = Failures()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen = -1
        self._last = 0.0

    def reconcile_once(self) -> None:
        """One pass of every controller (also usable synchronously in tests)."""
        c = self.cluster
        deployment.reconcile_all(c, self.failures)
        replicaset.reconcile_all(c, self.failures)
        job.reconcile_all(c, self.failures)
        gc.collect(c)

    def _loop(self) -> None:
        while not self._stop.wait(self.tick):
            version = self.cluster.store.current_version()
            now = time.monotonic()
            if version == self._seen and now - self._last < RESYNC_SECONDS:
                continue
            self._seen, self._last = version, now
            try:
                self.reconcile_once()
            except Exception:  # noqa: BLE001 - keep reconciling
                log.exception("cluster %s: controllers pass failed", self.cluster.name)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=f"podid-controllers-{self.cluster.name}",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
