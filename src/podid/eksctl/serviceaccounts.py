"""ServiceAccounts through the Kubernetes API (eksctl's MaybeCreateServiceAccountOrUpdateMetadata
and MaybeDeleteServiceAccount)."""

from __future__ import annotations

from typing import Any

from kubernetes.client import V1ObjectMeta, V1ServiceAccount
from kubernetes.client.exceptions import ApiException

from podid.eksctl import logs
from podid.eksctl.errors import EksctlError
from podid.eksctl.session import Ctl

NOT_FOUND = 404


def get(ctl: Ctl, namespace: str, name: str) -> Any | None:
    try:
        return ctl.core().read_namespaced_service_account(name, namespace)
    except ApiException as err:
        if err.status == NOT_FOUND:
            return None
        raise EksctlError(f"checking whether serviceaccount \"{namespace}/{name}\" exists: "
                          f"{err.reason}") from err


def create_or_update(ctl: Ctl, namespace: str, name: str, annotations: dict[str, str],
                     labels: dict[str, str]) -> None:
    core = ctl.core()
    current = get(ctl, namespace, name)
    if current is None:
        body = V1ServiceAccount(metadata=V1ObjectMeta(name=name, namespace=namespace,
                                                      annotations=annotations, labels=labels))
        core.create_namespaced_service_account(namespace, body)
        logs.info(f"created serviceaccount \"{namespace}/{name}\"")
        return
    meta = current.metadata
    meta.annotations = {**(meta.annotations or {}), **annotations}
    meta.labels = {**(meta.labels or {}), **labels}
    core.replace_namespaced_service_account(name, namespace, current)
    logs.info(f"updated serviceaccount \"{namespace}/{name}\"")


def delete(ctl: Ctl, namespace: str, name: str) -> None:
    try:
        ctl.core().delete_namespaced_service_account(name, namespace)
    except ApiException as err:
        if err.status != NOT_FOUND:
            raise EksctlError(f"deleting serviceaccount \"{namespace}/{name}\": {err.reason}") from err
        return
    logs.info(f"deleted serviceaccount \"{namespace}/{name}\"")


def annotated(ctl: Ctl, annotation: str) -> list[Any]:
    """Every ServiceAccount of the cluster carrying ``annotation``."""
    items = ctl.core().list_service_account_for_all_namespaces().items
    return [sa for sa in items if annotation in (sa.metadata.annotations or {})]
