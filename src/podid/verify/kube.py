"""What `podid verify` reads from Kubernetes (ServiceAccounts, the pods using them), through the
kubernetes Python client and a kubeconfig, as on any real cluster."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
POD_IDENTITY_ENV = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
IRSA_ENV = "AWS_ROLE_ARN"


class KubeReadError(Exception):
    """A Kubernetes call `podid verify` needs failed."""


@dataclass(frozen=True)
class PodView:
    name: str
    env_names: frozenset[str]
    owner: str | None          # "ReplicaSet/web-5d8f" etc., for the restart hint

    def has_identity(self, mode: str) -> bool:
        return (POD_IDENTITY_ENV if mode == "pod-identity" else IRSA_ENV) in self.env_names


@dataclass
class KubeView:
    core: client.CoreV1Api

    @classmethod
    def connect(cls, kubeconfig: str | None, context: str | None) -> KubeView:
        api = config.new_client_from_config(config_file=kubeconfig, context=context)
        return cls(client.CoreV1Api(api))

    def service_account(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            sa = self.core.read_namespaced_service_account(name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise KubeReadError(f"get serviceaccount {namespace}/{name}: {exc.status} {exc.reason}") from exc
        return dict(self.core.api_client.sanitize_for_serialization(sa))

    def _plain(self, obj: Any) -> dict[str, Any]:
        return dict(self.core.api_client.sanitize_for_serialization(obj))

    def irsa_service_accounts(self) -> list[tuple[str, str, str]]:
        """(namespace, name, role ARN) of every ServiceAccount annotated for IRSA."""
        try:
            listed = self._plain(self.core.list_service_account_for_all_namespaces())
        except ApiException as exc:
            raise KubeReadError(f"list serviceaccounts: {exc.status} {exc.reason}") from exc
        out = []
        for sa in listed.get("items") or []:
            meta = sa.get("metadata") or {}
            role = (meta.get("annotations") or {}).get(IRSA_ANNOTATION)
            if role:
                out.append((str(meta.get("namespace")), str(meta.get("name")), str(role)))
        return out

    def pods_of(self, namespace: str, service_account: str) -> list[PodView]:
        """Running/pending pods of the ServiceAccount (probe pods of `podid verify` excluded)."""
        try:
            listed = self._plain(self.core.list_namespaced_pod(namespace))
        except ApiException as exc:
            raise KubeReadError(f"list pods in {namespace}: {exc.status} {exc.reason}") from exc
        out = []
        for pod in listed.get("items") or []:
            spec, meta = pod.get("spec") or {}, pod.get("metadata") or {}
            if (spec.get("serviceAccountName") or "default") != service_account:
                continue
            if (meta.get("labels") or {}).get("app.kubernetes.io/managed-by") == "podid-verify":
                continue
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                continue
            if meta.get("deletionTimestamp"):
                continue
            names = {e.get("name") for c in spec.get("containers") or [] for e in c.get("env") or []}
            owners = meta.get("ownerReferences") or []
            owner = f"{owners[0]['kind']}/{owners[0]['name']}" if owners else None
            out.append(PodView(str(meta.get("name")), frozenset(str(n) for n in names), owner))
        return out
