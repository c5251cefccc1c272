"""Names and tags eksctl gives the IAM roles it creates (its CloudFormation stacks' names and tags;
CloudFormation propagates stack tags to the role, so the role carries them on AWS too)."""

from __future__ import annotations

import secrets
import string

CLUSTER_TAG = "alpha.eksctl.io/cluster-name"
OLD_CLUSTER_TAG = "eksctl.cluster.k8s.io/v1alpha1/cluster-name"
IRSA_TAG = "alpha.eksctl.io/iamserviceaccount-name"
PIA_TAG = "alpha.eksctl.io/podidentityassociation-name"
VERSION_TAG = "alpha.eksctl.io/eksctl-version"
ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
POD_IDENTITY_AGENT = "eks-pod-identity-agent"
EKSCTL_VERSION = "0.210.0-podid"
ROLE_NAME_MAX = 64
SUFFIX = 12


def irsa_stack_name(cluster: str, namespace: str, name: str) -> str:
    return f"eksctl-{cluster}-addon-iamserviceaccount-{namespace}-{name}"


def pia_stack_name(cluster: str, namespace: str, sa: str) -> str:
    return f"eksctl-{cluster}-podidentityrole-{namespace}-{sa}"


def generated_role_name(stack: str, logical_id: str = "Role1") -> str:
    """CloudFormation's physical name: stack name cut to fit, logical id, 12 random characters
    (``eksctl-myeks-addon-iamserviceaccount-default--Role1-3OtbVkhc7PHP`` in the seeds)."""
    alphabet = string.ascii_letters + string.digits
    suffix = "".join(secrets.choice(alphabet) for _ in range(SUFFIX))
    room = ROLE_NAME_MAX - len(logical_id) - SUFFIX - 2
    return f"{stack[:room]}-{logical_id}-{suffix}"


def role_tags(cluster: str, key: str, value: str) -> list[dict[str, str]]:
    tags = {CLUSTER_TAG: cluster, OLD_CLUSTER_TAG: cluster, VERSION_TAG: EKSCTL_VERSION, key: value}
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def role_name_from_arn(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]
