"""The ``pod-identity-webhook`` MutatingWebhookConfiguration every EKS cluster has.

podid applies the mutation in-process (:mod:`podid.cluster.admission`); the object is what
``kubectl get MutatingWebhookConfiguration`` shows on EKS (the name as on EKS, the webhook and
rules of the upstream ``deploy/mutatingwebhook.yaml``).
"""

from __future__ import annotations

from typing import Any

from podid.k8s import errors
from podid.k8s.registry import Cluster, WriteOptions
from podid.k8s.resources import ResourceType, find
from podid.webhook.admission import mutating_webhook_configuration

NAME = "pod-identity-webhook"
MWC: ResourceType = find("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations")  # type: ignore[assignment]


def ensure_webhook_configuration(cluster: Cluster, ca_pem: str) -> dict[str, Any] | None:
    """Create the configuration once (a user's delete or edit is theirs to keep until restart)."""
    found = cluster.store.get(MWC.group, MWC.resource, "", NAME)
    if found is not None:
        return found
    obj = mutating_webhook_configuration(name=NAME, ca_bundle_pem=ca_pem, service=("default", NAME))
    obj["metadata"]["labels"] = {"eks.amazonaws.com/component": "pod-identity-webhook"}
    try:
        return cluster.create(MWC, None, obj, WriteOptions(manager="eks"))
    except errors.StatusError:
        return cluster.store.get(MWC.group, MWC.resource, "", NAME)
