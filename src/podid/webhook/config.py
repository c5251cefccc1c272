"""Webhook configuration and inputs: names, paths and defaults exactly as EKS uses them.

Defaults reproduce ``amazon-eks-pod-identity-webhook`` flags (``main.go``): annotation domain
``eks.amazonaws.com``, IRSA volume ``aws-iam-token`` / path ``token`` mounted at
``/var/run/secrets/eks.amazonaws.com/serviceaccount``, default audience ``sts.amazonaws.com``,
token expiration 86400, no region and no ``AWS_STS_REGIONAL_ENDPOINTS`` unless configured; and the
container-credentials (Pod Identity) values: audience ``pods.eks.amazonaws.com``, volume/path
``eks-pod-identity-token`` mounted at ``/var/run/secrets/pods.eks.amazonaws.com/serviceaccount``,
``AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.23/v1/credentials``.

:meth:`WebhookConfig.eks` is how EKS runs it: region set and regional STS on by default (seen on
EKS pods whose ServiceAccount carries only ``role-arn``: they get ``AWS_STS_REGIONAL_ENDPOINTS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ANNOTATION_DOMAIN = "eks.amazonaws.com"
ROLE_ARN = "role-arn"
AUDIENCE = "audience"
STS_REGIONAL_ENDPOINTS = "sts-regional-endpoints"
TOKEN_EXPIRATION = "token-expiration"
SKIP_CONTAINERS = "skip-containers"
SKIP_WEBHOOK_LABEL = "eks.amazonaws.com/skip-pod-identity-webhook"
POD_IDENTITY_LABEL = "eks.amazonaws.com/pod-identity"
AGENT_ADDON = "eks-pod-identity-agent"

DEFAULT_TOKEN_EXPIRATION = 86400
DEFAULT_MIN_TOKEN_EXPIRATION = 79200  # lower bound of the webhook's optional jitter
MIN_TOKEN_EXPIRATION = 600
DEFAULT_MODE = 420  # 0644, what the API server defaults projected volumes to

ENV_ROLE_ARN = "AWS_ROLE_ARN"
ENV_WEB_IDENTITY_TOKEN_FILE = "AWS_WEB_IDENTITY_TOKEN_FILE"
ENV_FULL_URI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
ENV_AUTH_TOKEN_FILE = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
ENV_REGION = "AWS_REGION"
ENV_DEFAULT_REGION = "AWS_DEFAULT_REGION"
ENV_STS_REGIONAL = "AWS_STS_REGIONAL_ENDPOINTS"

BothPolicy = Literal["inject_both", "pod_identity_only"]


@dataclass(frozen=True)
class WebhookConfig:
    """How pods are mutated. Field defaults = the open-source webhook's flag defaults."""

    region: str | None = None  # --aws-default-region: sets AWS_DEFAULT_REGION and AWS_REGION
    annotation_domain: str = ANNOTATION_DOMAIN
    default_audience: str = "sts.amazonaws.com"  # --token-audience
    default_regional_sts: bool = False  # --sts-regional-endpoint
    default_token_expiration: int = DEFAULT_TOKEN_EXPIRATION  # --token-expiration
    irsa_mount_path: str = "/var/run/secrets/eks.amazonaws.com/serviceaccount"
    irsa_volume_name: str = "aws-iam-token"
    irsa_token_path: str = "token"
    pod_identity_audience: str = "pods.eks.amazonaws.com"
    pod_identity_mount_path: str = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"
    pod_identity_volume_name: str = "eks-pod-identity-token"
    pod_identity_token_path: str = "eks-pod-identity-token"
    pod_identity_full_uri: str = "http://169.254.170.23/v1/credentials"
    pod_identity_jitter: bool = False  # the OSS webhook jitters 86400 into 79200..86400
    pod_identity_label: bool = False  # the OSS webhook labels eks.amazonaws.com/pod-identity=enabled
    both: BothPolicy = "inject_both"  # SA with an association AND a role-arn annotation
    set_default_mode: bool = True  # write defaultMode 420 (the API server would default it)

    @classmethod
    def eks(cls, region: str, **overrides: object) -> WebhookConfig:
        """The configuration EKS runs the webhook with in ``region``."""
        values: dict[str, object] = {"region": region, "default_regional_sts": True}
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def annotation(self, name: str) -> str:
        return f"{self.annotation_domain}/{name}"


@dataclass(frozen=True)
class PodIdentityAssociation:
    """The Pod Identity association of a namespace/ServiceAccount, as the webhook needs it."""

    namespace: str
    service_account: str
    role_arn: str
    association_id: str | None = None
    association_arn: str | None = None
    target_role_arn: str | None = None

    @property
    def effective_role_arn(self) -> str:
        """The role whose credentials the pod finally holds (role chaining via targetRoleArn)."""
        return self.target_role_arn or self.role_arn
