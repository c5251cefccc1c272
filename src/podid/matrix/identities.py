"""Which ServiceAccounts have an AWS identity: EKS pod identity associations and IRSA annotations.

Owns reading them: associations through boto3's EKS client (List + Describe, paginated), IRSA
through the Kubernetes API (every ServiceAccount annotated `eks.amazonaws.com/role-arn`).
"""

from __future__ import annotations

from typing import Any

from podid.matrix.model import Identity

IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


def pod_identity(eks: Any, cluster: str) -> list[Identity]:
    """Every pod identity association of `cluster` (the target role when role chaining is set)."""
    out: list[Identity] = []
    for page in eks.get_paginator("list_pod_identity_associations").paginate(clusterName=cluster):
        for summary in page.get("associations", []):
            assoc = eks.describe_pod_identity_association(
                clusterName=cluster, associationId=summary["associationId"])["association"]
            role = assoc.get("targetRoleArn") or assoc["roleArn"]
            out.append(Identity(cluster, assoc["namespace"], assoc["serviceAccount"], role, "pod-identity",
                                assoc["associationId"], assoc.get("policy") or None,
                                session_tags=not assoc.get("disableSessionTags", False)))
    return out


def irsa(core: Any, cluster: str) -> list[Identity]:
    """Every ServiceAccount with an IRSA role annotation (`core`: kubernetes.client.CoreV1Api)."""
    out: list[Identity] = []
    result = core.list_service_account_for_all_namespaces(_request_timeout=30)
    for sa in result.items:
        role = (sa.metadata.annotations or {}).get(IRSA_ANNOTATION)
        if role:
            out.append(Identity(cluster, sa.metadata.namespace, sa.metadata.name, role.strip(), "irsa"))
    return out


def kube_core(kubeconfig: str | None, context: str | None) -> Any:
    """A CoreV1Api for `context` of `kubeconfig` (default: $KUBECONFIG / ~/.kube/config)."""
    from kubernetes import client, config

    contexts, _active = config.list_kube_config_contexts(config_file=kubeconfig)
    names = {c["name"] for c in contexts}
    api = config.new_client_from_config(config_file=kubeconfig,
                                        context=context if context in names else None)
    return client.CoreV1Api(api)
