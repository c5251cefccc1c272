"""Pod Identity admission for one cluster: the EKS webhook's mutation (``podid.webhook.mutate_pod``)
fed with the ServiceAccount from the cluster's object store and the association from ``EksRepo``.

When a pod gets no AWS identity the hook records an Event on it (``kubectl describe pod`` shows
it); a missing agent add-on is a Warning event. :func:`late_association_message` words the
Event :mod:`podid.cluster.server` records on pods created *before* their association.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from podid.eks.addons import POD_IDENTITY_AGENT
from podid.eks.repo import AssociationRecord, ClusterRecord, EksRepo
from podid.k8s.admission import AdmissionHook, AdmissionRequest
from podid.webhook import PodIdentityAssociation, WebhookConfig, mutate_pod

REASON_NO_IDENTITY = "PodIdentityNotApplied"
REASON_NO_AGENT = "PodIdentityAgentMissing"
REASON_LATE_ASSOCIATION = "PodIdentityAssociationAfterPod"
REASON_INJECTED = "PodIdentityInjected"


def to_webhook_association(a: AssociationRecord) -> PodIdentityAssociation:
    return PodIdentityAssociation(namespace=a.namespace, service_account=a.service_account,
                                  role_arn=a.role_arn, association_id=a.association_id,
                                  association_arn=a.arn, target_role_arn=a.target_role_arn)


def pod_identity_hook(repo: EksRepo, cluster: Callable[[], ClusterRecord], region: str) -> AdmissionHook:
    """The admission hook of one cluster (``cluster()`` returns its current record)."""
    config = WebhookConfig.eks(region)

    def hook(req: AdmissionRequest) -> dict[str, Any] | None:
        if req.resource != "pods" or req.operation != "CREATE":
            return None
        pod = req.object
        spec = pod.get("spec") or {}
        sa_name = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
        ns = req.namespace or (pod.get("metadata") or {}).get("namespace") or "default"
        record = cluster()
        sa = req.store.get("", "serviceaccounts", ns, sa_name)
        found = repo.find_association(record.pk, ns, sa_name)
        association = to_webhook_association(found) if found is not None else None
        addon = repo.get_addon(record.pk, POD_IDENTITY_AGENT) is not None
        result = mutate_pod(pod, sa, association=association, agent_addon_installed=addon, config=config,
                            namespace=ns)
        if result.identity is None:
            req.events.append((REASON_NO_IDENTITY, _no_identity(ns, sa_name, record.name), "Normal"))
        elif result.identity == "pod_identity" and association is not None:
            req.events.append((REASON_INJECTED, f"Pod Identity association {association.association_id} "
                               f"(role {association.effective_role_arn}) applied", "Normal"))
        if association is not None and not addon:
            req.events.append((REASON_NO_AGENT, f"the {POD_IDENTITY_AGENT} add-on is not installed on "
                               f"cluster {record.name}: Pod Identity credentials cannot be fetched "
                               f"(aws eks create-addon --cluster-name {record.name} --addon-name "
                               f"{POD_IDENTITY_AGENT})", "Warning"))
        return result.pod if result.mutated else None

    return hook


def _no_identity(ns: str, sa: str, cluster: str) -> str:
    return (f"ServiceAccount {ns}/{sa} has no Pod Identity association in cluster {cluster} and no "
            f"eks.amazonaws.com/role-arn annotation: the pod has no AWS identity (associations apply only "
            f"to pods created after them)")


def late_association_message(a: AssociationRecord) -> str:
    return (f"Pod Identity association {a.association_id} for ServiceAccount {a.namespace}/"
            f"{a.service_account} (role {a.role_arn}) was created after this pod: the pod was admitted "
            f"without it and has no Pod Identity credentials; delete and recreate the pod to use it")
