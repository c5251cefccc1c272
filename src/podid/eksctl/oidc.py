"""The cluster's IAM OIDC provider (eksctl's OpenIDConnectManager): its ARN, whether it exists,
``utils associate-iam-oidc-provider``, and the IRSA trust policy eksctl writes."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from podid.eksctl import logs
from podid.eksctl.session import Ctl, error_code

STS_AUDIENCE = "sts.amazonaws.com"


def host_path(ctl: Ctl) -> str:
    return ctl.issuer.split("://", 1)[-1]


def provider_arn(ctl: Ctl) -> str:
    return f"arn:aws:iam::{ctl.account}:oidc-provider/{host_path(ctl)}"


def provider_exists(ctl: Ctl) -> bool:
    try:
        ctl.aws("iam").get_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn(ctl))
    except ClientError as err:
        if error_code(err) == "NoSuchEntity":
            return False
        raise
    return True


def associate(ctl: Ctl, approve: bool) -> None:
    """``eksctl utils associate-iam-oidc-provider``."""
    region = ctl.session.region_name
    if provider_exists(ctl):
        logs.info(f"IAM Open ID Connect provider is already associated with cluster \"{ctl.cluster}\" "
                  f"in \"{region}\"")
        return
    if not approve:
        logs.info(f"(plan) would create IAM Open ID Connect provider for cluster \"{ctl.cluster}\" "
                  f"in \"{region}\"")
        logs.plan_warning()
        return
    ctl.aws("iam").create_open_id_connect_provider(Url=ctl.issuer, ClientIDList=[STS_AUDIENCE])
    logs.info(f"created IAM Open ID Connect provider for cluster \"{ctl.cluster}\" in \"{region}\"")


def irsa_trust(ctl: Ctl, namespace: str, name: str) -> dict[str, Any]:
    prefix = host_path(ctl)
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn(ctl)},
        "Action": ["sts:AssumeRoleWithWebIdentity"],
        "Condition": {"StringEquals": {f"{prefix}:sub": f"system:serviceaccount:{namespace}:{name}",
                                       f"{prefix}:aud": STS_AUDIENCE}}}]}
