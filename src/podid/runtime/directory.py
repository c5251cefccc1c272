"""Does a pod still exist? (EKS Auth's check that a token's pod was not deleted or replaced.)

:func:`pod_exists` reads one cluster's :class:`~podid.k8s.store.ObjectStore`; the runtime deletes
the pod record only after its processes are killed, so a deleted pod's tokens stop being honoured.
:class:`StorePodDirectory` adapts ObjectStores to :class:`podid.eks.pods.PodDirectory` (the
interface EKS Auth uses; its ``SqlPodDirectory`` reads the same table directly).
"""

from __future__ import annotations

from collections.abc import Mapping

from podid.k8s.store import ObjectStore


def pod_exists(store: ObjectStore, namespace: str, name: str, uid: str) -> bool:
    """True when the pod ``namespace/name`` exists with ``uid`` (not deleted, not re-created)."""
    pod = store.get("", "pods", namespace, name)
    return pod is not None and pod["metadata"].get("uid") == uid


class StorePodDirectory:
    """``podid.eks.pods.PodDirectory`` over ``{cluster name: ObjectStore}``."""

    def __init__(self, stores: Mapping[str, ObjectStore]) -> None:
        self.stores = dict(stores)

    def available(self, cluster: str) -> bool:
        return cluster in self.stores

    def _uid(self, cluster: str, resource: str, namespace: str, name: str) -> str | None:
        store = self.stores.get(cluster)
        obj = store.get("", resource, namespace, name) if store is not None else None
        return str(obj["metadata"].get("uid")) if obj is not None else None

    def pod_uid(self, cluster: str, namespace: str, name: str) -> str | None:
        return self._uid(cluster, "pods", namespace, name)

    def service_account_uid(self, cluster: str, namespace: str, name: str) -> str | None:
        return self._uid(cluster, "serviceaccounts", namespace, name)
