"""The webhook's view of a real Kubernetes cluster: an :class:`~podid.webhook.AdmissionResolver`
built on the official ``kubernetes`` client and an injected association source.

* ServiceAccounts: ``CoreV1Api.read_namespaced_service_account`` (raw JSON, as the API server
  stores it); 404 means "no such ServiceAccount" (``None``), anything else raises
  :class:`ClusterLookupError`, so the endpoint answers 500 and the webhook's ``failurePolicy``
  decides: the pod is never admitted with a guessed identity.
* Associations: any :class:`podid.broker.AssociationSource` (``EksAssociations`` over an EKS API by
  default; a custom-resource source can be passed the same way); its errors propagate likewise.
* The Pod Identity agent: the DaemonSet named by :class:`AgentDaemonSet` exists (404 = absent;
  ``None`` = not checked, assumed present). It only decides whether a warning is added.

Every call to the API server carries a timeout shorter than the API server's default webhook
timeout (10 s). Nothing is cached: each admission sees the cluster as it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from podid.broker.associations import AssociationSource
from podid.webhook.config import PodIdentityAssociation

#: (connect, read) seconds for each API server call
KUBE_TIMEOUT = (3.0, 5.0)


class ClusterLookupError(RuntimeError):
    """The cluster could not be asked (an API error other than 404, or no connection)."""


@dataclass(frozen=True)
class AgentDaemonSet:
    """Where the Pod Identity agent DaemonSet lives (``kube-system/eks-pod-identity-agent`` is EKS's
    add-on)."""

    namespace: str = "kube-system"
    name: str = "eks-pod-identity-agent"

    @classmethod
    def parse(cls, text: str) -> AgentDaemonSet:
        """``NAMESPACE/NAME``; raises ValueError."""
        namespace, sep, name = text.partition("/")
        if not sep or not namespace or not name or "/" in name:
            raise ValueError(f"expected NAMESPACE/NAME, got {text!r}")
        return cls(namespace, name)


class KubeResolver:
    """ServiceAccounts and the agent DaemonSet from the API server, associations from ``associations``."""

    def __init__(self, api_client: k8s.ApiClient, associations: AssociationSource,
                 agent: AgentDaemonSet | None = AgentDaemonSet()) -> None:
        self._core = k8s.CoreV1Api(api_client)
        self._apps = k8s.AppsV1Api(api_client)
        self._associations = associations
        self._agent = agent

    def service_account(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        return self._read("ServiceAccount", self._core.read_namespaced_service_account, namespace, name)

    def association(self, namespace: str, service_account: str) -> PodIdentityAssociation | None:
        found = self._associations.find(namespace, service_account)
        if found is None:
            return None
        return PodIdentityAssociation(
            namespace=namespace, service_account=service_account, role_arn=found.role_arn,
            association_id=found.association_id, association_arn=found.association_arn,
            target_role_arn=found.target_role_arn)

    def agent_addon_installed(self) -> bool:
        if self._agent is None:
            return True
        found = self._read("DaemonSet", self._apps.read_namespaced_daemon_set, self._agent.namespace,
                           self._agent.name)
        return found is not None

    @staticmethod
    def _read(kind: str, read: Any, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            response = read(name, namespace, _preload_content=False, _request_timeout=KUBE_TIMEOUT)
            body = json.loads(response.data)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise ClusterLookupError(
                f"reading {kind} {namespace}/{name}: the API server answered {exc.status} {exc.reason}") \
                from None
        except (HTTPError, OSError, ValueError) as exc:
            raise ClusterLookupError(f"reading {kind} {namespace}/{name}: {type(exc).__name__}") from None
        if not isinstance(body, dict):
            raise ClusterLookupError(f"reading {kind} {namespace}/{name}: not a JSON object")
        return body
