"""podid.broker: EKS Auth ``AssumeRoleForPodIdentity`` for one real (non-EKS) Kubernetes cluster.

The broker is what EKS Auth is on EKS, run inside any cluster: the node agent (``podid agent
--endpoint <broker>``) posts a pod's projected ServiceAccount token; the broker

1. validates the token against the cluster (:mod:`podid.broker.tokens`: the cluster's OIDC JWKS,
   or a TokenReview by the cluster's API server),
2. finds the Pod Identity association (:mod:`podid.broker.associations`: the EKS API's
   ``ListPodIdentityAssociations`` + ``DescribePodIdentityAssociation``; or
   :mod:`podid.broker.association_crd`: ``PodIdentityAssociation`` objects in the cluster),
3. gets credentials from STS with its *own* credentials (:mod:`podid.broker.sts`: ``AssumeRole``
   with the six EKS session tags, transitive; a second ``AssumeRole`` for a target role),

and answers with EKS Auth's wire shape and errors (:mod:`podid.broker.app`, through
:mod:`podid.protocol`). It keeps no state between requests: any number of replicas may serve.
"""

from podid.broker.app import build_broker_app
from podid.broker.association_crd import CrdAssociations
from podid.broker.associations import Association, AssociationSource, EksAssociations
from podid.broker.config import BrokerConfig
from podid.broker.service import Broker
from podid.broker.sts import StsCredentialSource
from podid.broker.tokens import (
    JwksValidator,
    PodIdentity,
    TokenReviewValidator,
    TokenValidator,
)

__all__ = [
    "Association",
    "AssociationSource",
    "Broker",
    "BrokerConfig",
    "CrdAssociations",
    "EksAssociations",
    "JwksValidator",
    "PodIdentity",
    "StsCredentialSource",
    "TokenReviewValidator",
    "TokenValidator",
    "build_broker_app",
]
