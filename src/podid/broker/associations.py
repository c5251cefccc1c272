"""Find the Pod Identity association of a namespace/ServiceAccount.

:class:`EksAssociations` asks an EKS API (AWS's, or ``podid up``'s through ``--eks-endpoint``) with
boto3: ``ListPodIdentityAssociations(clusterName, namespace, serviceAccount)`` then
``DescribePodIdentityAssociation`` for the fields the summary lacks (``disableSessionTags``,
``targetRoleArn``, ``externalId``, ``policy``). Nothing is cached, so a deleted or updated
association takes effect on the next request of every replica.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from podid.eksauth import errors as eks_errors

log = logging.getLogger("podid.broker")


@dataclass(frozen=True)
class Association:
    """The parts of a PodIdentityAssociation the broker acts on."""

    association_arn: str
    association_id: str
    role_arn: str
    target_role_arn: str | None = None
    external_id: str | None = None
    disable_session_tags: bool = False
    policy: str | None = None


class AssociationSource(Protocol):
    def find(self, namespace: str, service_account: str) -> Association | None: ...


class EksAssociations:
    """Associations of one cluster, read from an EKS API (``eks`` boto3 client)."""

    def __init__(self, eks: Any, cluster_name: str) -> None:
        self.eks = eks
        self.cluster_name = cluster_name

    def find(self, namespace: str, service_account: str) -> Association | None:
        try:
            listed = self.eks.list_pod_identity_associations(
                clusterName=self.cluster_name, namespace=namespace, serviceAccount=service_account)
            summaries = [a for a in listed.get("associations", [])
                         if a.get("namespace") == namespace and a.get("serviceAccount") == service_account]
            if not summaries:
                return None
            full = self.eks.describe_pod_identity_association(
                clusterName=self.cluster_name, associationId=summaries[0]["associationId"])["association"]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ResourceNotFoundException":
                raise eks_errors.not_found(f"No cluster found for name: {self.cluster_name}.") from None
            log.warning("EKS API answered %s looking up associations", code)
            raise eks_errors.service_unavailable("The Pod Identity association could not be looked up") \
                from None
        except BotoCoreError as exc:
            log.warning("EKS API unreachable: %s", type(exc).__name__)
            raise eks_errors.service_unavailable("The Pod Identity association could not be looked up") \
                from None
        return Association(
            association_arn=full["associationArn"], association_id=full["associationId"],
            role_arn=full["roleArn"], target_role_arn=full.get("targetRoleArn") or None,
            external_id=full.get("externalId") or None,
            disable_session_tags=bool(full.get("disableSessionTags")), policy=full.get("policy") or None)
