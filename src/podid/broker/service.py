"""The broker's AssumeRoleForPodIdentity: token -> association -> STS -> EKS Auth's output shape."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from podid.broker.associations import AssociationSource
from podid.broker.sts import StsCredentialSource
from podid.broker.tokens import PodIdentity, TokenValidator
from podid.eksauth import AUDIENCE, SESSION_TAG_KEYS, session_name
from podid.eksauth import errors as eks_errors


@dataclass
class Broker:
    """One cluster's EKS Auth: stateless, every answer derived from the cluster, EKS and STS."""

    cluster_name: str
    cluster_arn: str
    tokens: TokenValidator
    associations: AssociationSource
    sts: StsCredentialSource

    def session_tags(self, pod: PodIdentity) -> dict[str, str]:
        values = (self.cluster_arn, self.cluster_name, pod.namespace, pod.service_account, pod.pod_name,
                  pod.pod_uid)
        return dict(zip(SESSION_TAG_KEYS, values, strict=True))

    def assume_role_for_pod_identity(self, cluster_name: str, token: Any) -> dict[str, Any]:
        """EKS Auth's output for ``token``; ServiceError with EKS Auth's codes otherwise."""
        if cluster_name != self.cluster_name:
            raise eks_errors.not_found(f"No cluster found for name: {cluster_name}.")
        pod = self.tokens.validate(token)
        assoc = self.associations.find(pod.namespace, pod.service_account)
        if assoc is None:
            raise eks_errors.not_found(
                f"No Pod Identity Association found for service account {pod.service_account} in "
                f"namespace {pod.namespace} of cluster {self.cluster_name}")
        tags = {} if assoc.disable_session_tags else self.session_tags(pod)
        issued = self.sts.assume(assoc, session_name(self.cluster_name, pod.pod_name), tags)
        expiration = issued.expiration
        if not isinstance(expiration, dt.datetime):
            expiration = dt.datetime.fromtimestamp(float(expiration), dt.UTC)
        return {
            "subject": {"namespace": pod.namespace, "serviceAccount": pod.service_account},
            "audience": AUDIENCE,
            "podIdentityAssociation": {"associationArn": assoc.association_arn,
                                       "associationId": assoc.association_id},
            "assumedRoleUser": {"arn": issued.assumed_role_arn, "assumeRoleId": issued.assumed_role_id},
            "credentials": {"sessionToken": issued.session_token, "secretAccessKey": issued.secret_access_key,
                            "accessKeyId": issued.access_key_id, "expiration": expiration},
        }
