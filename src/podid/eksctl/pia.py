"""``eksctl create|get|delete podidentityassociation``: EKS Pod Identity associations, with the
role (trusting pods.eks.amazonaws.com for sts:AssumeRole + sts:TagSession) created when asked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from podid.eksctl import addons, logs, names, roles
from podid.eksctl.errors import EksctlError
from podid.eksctl.session import Ctl


@dataclass(frozen=True)
class PiaSpec:
    namespace: str
    service_account: str
    role_arn: str = ""
    role_name: str = ""
    policy_arns: tuple[str, ...] = ()

    @property
    def ident(self) -> str:
        return f"{self.namespace}/{self.service_account}"


def validate(spec: PiaSpec) -> None:
    if not spec.namespace:
        raise EksctlError("--namespace must be set")
    if not spec.service_account:
        raise EksctlError("--service-account-name must be set")
    if spec.role_arn and (spec.role_name or spec.policy_arns):
        raise EksctlError("--role-arn cannot be specified in conjunction with --role-name or "
                          "--permission-policy-arns")
    if not spec.role_arn and not spec.policy_arns:
        raise EksctlError("at least one of the following flags must be specified: --role-arn, "
                          "--permission-policy-arns, --well-known-policies")


def create(ctl: Ctl, spec: PiaSpec) -> None:
    validate(spec)
    ctl.describe()
    if not addons.installed(ctl, names.POD_IDENTITY_AGENT):
        raise EksctlError("eks-pod-identity-agent addon is required in order to use EKS Pod Identity "
                          f"feature: please enable it using `eksctl create addon --cluster={ctl.cluster} "
                          f"--name={names.POD_IDENTITY_AGENT}`")
    steps = [] if spec.role_arn else [
        f"create IAM role for pod identity association for service account \"{spec.ident}\""]
    steps.append(f"create pod identity association for service account \"{spec.ident}\"")
    body = "".join(f"        {s},\n" for s in steps)
    logs.info(f"1 task: {{ \n    {len(steps)} sequential sub-tasks: {{ \n{body}    }} }}")
    role_arn, created = spec.role_arn, ""
    if not role_arn:
        stack = names.pia_stack_name(ctl.cluster, spec.namespace, spec.service_account)
        created = spec.role_name or names.generated_role_name(stack)
        role_arn = roles.create_role(ctl, created, roles.POD_IDENTITY_TRUST, list(spec.policy_arns),
                                     names.role_tags(ctl.cluster, names.PIA_TAG, spec.ident))
    try:
        ctl.aws("eks").create_pod_identity_association(
            clusterName=ctl.cluster, namespace=spec.namespace, serviceAccount=spec.service_account,
            roleArn=role_arn)
    except ClientError as err:
        if created:
            roles.delete_role(ctl, created)
        raise EksctlError(f"creating pod identity association for service account "
                          f"\"{spec.service_account}\" in namespace \"{spec.namespace}\": {err}") from err
    logs.info(f"created pod identity association for service account \"{spec.service_account}\" "
              f"in namespace \"{spec.namespace}\"")
    logs.info("all tasks were completed successfully")


def summaries(ctl: Ctl, namespace: str | None, service_account: str | None) -> list[dict[str, Any]]:
    eks = ctl.aws("eks")
    ctl.describe()
    params: dict[str, Any] = {"clusterName": ctl.cluster}
    if namespace:
        params["namespace"] = namespace
    if service_account:
        params["serviceAccount"] = service_account
    out = []
    for page in eks.get_paginator("list_pod_identity_associations").paginate(**params):
        for item in page["associations"]:
            full = eks.describe_pod_identity_association(
                clusterName=ctl.cluster, associationId=item["associationId"])["association"]
            out.append({"AssociationARN": full["associationArn"], "Namespace": full["namespace"],
                        "ServiceAccountName": full["serviceAccount"], "RoleARN": full["roleArn"],
                        "OwnerARN": full.get("ownerArn", "")})
    return out


def delete(ctl: Ctl, namespace: str, service_account: str) -> None:
    if not namespace or not service_account:
        raise EksctlError("--namespace and --service-account-name must be set")
    eks = ctl.aws("eks")
    ctl.describe()
    found = eks.list_pod_identity_associations(clusterName=ctl.cluster, namespace=namespace,
                                               serviceAccount=service_account)["associations"]
    ident = f"{namespace}/{service_account}"
    if not found:
        raise EksctlError(f"error deleting pod identity association {ident}: pod identity association "
                          f"\"{ident}\" not found")
    stack = names.pia_stack_name(ctl.cluster, namespace, service_account)
    logs.info(f"1 task: {{ \n    2 sequential sub-tasks: {{ \n        delete pod identity association "
              f"\"{ident}\",\n        delete IAM resources stack \"{stack}\",\n    }} }}")
    eks.delete_pod_identity_association(clusterName=ctl.cluster, associationId=found[0]["associationId"])
    logs.info(f"deleted pod identity association \"{ident}\"")
    role = roles.find_owned(ctl, names.PIA_TAG, ident)
    if role is not None and names.IRSA_TAG not in role.tags:
        roles.delete_role(ctl, role.name)
        logs.info(f"deleted IAM role \"{role.name}\"")
    logs.info("all tasks were completed successfully")
