"""`PodDirectory`: does the pod / ServiceAccount a token was issued for still exist?

EKS Auth only honours a ServiceAccount token whose bound pod still exists with the uid in the
token, and whose ServiceAccount has the uid in the token (what kube-apiserver's own token
authenticator checks for bound tokens). podid asks a :class:`PodDirectory`:

* ``pod_uid(cluster, namespace, name)`` -> the uid of the pod, or None if there is no such pod;
* ``service_account_uid(cluster, namespace, name)`` -> likewise for a ServiceAccount;
* ``available(cluster)`` -> False when this directory cannot know (no Kubernetes API for the
  cluster); the caller then falls back to the token's signed claims alone and says so in a log line.

:class:`SqlPodDirectory` reads podid.k8s's ``k8s_objects`` table (``podid.store.schema.k8s``) on the
store's engine: one indexed SELECT per check, no writes. It is "available" once that table exists
(podid.k8s creates it); :class:`StaticPodDirectory` is an in-memory one for embedding/tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Protocol

from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from podid.store.schema.k8s import k8s_objects


class PodDirectory(Protocol):
    """Where EKS Auth checks that a token's pod and ServiceAccount still exist."""

    def available(self, cluster: str) -> bool: ...

    def pod_uid(self, cluster: str, namespace: str, name: str) -> str | None: ...

    def service_account_uid(self, cluster: str, namespace: str, name: str) -> str | None: ...


def pod_exists(directory: PodDirectory, cluster: str, namespace: str, name: str, uid: str) -> bool:
    """True when the pod exists with ``uid``."""
    return directory.pod_uid(cluster, namespace, name) == uid


class StaticPodDirectory:
    """In-memory directory: ``pods``/``service_accounts`` map ``(cluster, ns, name)`` to uids."""

    def __init__(self, pods: Mapping[tuple[str, str, str], str] | None = None,
                 service_accounts: Mapping[tuple[str, str, str], str] | None = None) -> None:
        self.pods = dict(pods or {})
        self.service_accounts = dict(service_accounts or {})

    def available(self, cluster: str) -> bool:
        return True

    def pod_uid(self, cluster: str, namespace: str, name: str) -> str | None:
        return self.pods.get((cluster, namespace, name))

    def service_account_uid(self, cluster: str, namespace: str, name: str) -> str | None:
        return self.service_accounts.get((cluster, namespace, name))


class SqlPodDirectory:
    """Reads pods and ServiceAccounts from podid.k8s's ``k8s_objects`` table."""

    #: how long "the k8s tables do not exist" is believed before looking again
    RECHECK_SECONDS = 5.0

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._present = False
        self._checked_at = 0.0

    def available(self, cluster: str) -> bool:
        if self._present:
            return True
        with self._lock:
            now = time.monotonic()
            if now - self._checked_at >= self.RECHECK_SECONDS or self._checked_at == 0.0:
                self._checked_at = now
                try:
                    self._present = inspect(self.engine).has_table("k8s_objects")
                except (OperationalError, ProgrammingError):
                    self._present = False
            return self._present

    def _uid(self, cluster: str, resource: str, namespace: str, name: str) -> str | None:
        c = k8s_objects.c
        with self.engine.connect() as conn:
            uid = conn.execute(select(c.uid).where(
                c.cluster == cluster, c.api_group == "", c.resource == resource,
                c.namespace == namespace, c.name == name)).scalar()
        return str(uid) if uid else None

    def pod_uid(self, cluster: str, namespace: str, name: str) -> str | None:
        return self._uid(cluster, "pods", namespace, name)

    def service_account_uid(self, cluster: str, namespace: str, name: str) -> str | None:
        return self._uid(cluster, "serviceaccounts", namespace, name)
