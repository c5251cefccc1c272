"""podid.eksauth: EKS Auth ``AssumeRoleForPodIdentity`` (botocore ``eks-auth`` model).

The node agent posts a pod's ServiceAccount token to
``POST /clusters/{clusterName}/assume-role-for-pod-identity``; podid verifies it with the cluster's
own issuer keys, checks the pod and ServiceAccount still exist (:class:`podid.eks.pods.PodDirectory`),
finds the Pod Identity association, has the judge evaluate the role's trust policy for
``pods.eks.amazonaws.com`` (``sts:AssumeRole`` and, with session tags, ``sts:TagSession``),
optionally chains to the association's target role, and returns stateless credentials sealed by
the gateway's ``TokenCodec``. See :mod:`podid.eksauth.assume`.
"""

from podid.eksauth.assume import (
    AUDIENCE,
    CHAINED_SECONDS,
    SESSION_SECONDS,
    SESSION_TAG_KEYS,
    PodIdentityGrant,
    assume_role_for_pod_identity,
    session_name,
)

__all__ = [
    "AUDIENCE",
    "CHAINED_SECONDS",
    "SESSION_SECONDS",
    "SESSION_TAG_KEYS",
    "PodIdentityGrant",
    "assume_role_for_pod_identity",
    "session_name",
]
