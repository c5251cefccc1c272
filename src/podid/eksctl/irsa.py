"""``eksctl create|get|delete iamserviceaccount``: an IAM role trusting the cluster's OIDC provider
for one ServiceAccount, and the ServiceAccount annotated with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from podid.eksctl import logs, names, oidc, roles, serviceaccounts
from podid.eksctl.errors import EksctlError
from podid.eksctl.session import Ctl


@dataclass(frozen=True)
class IrsaSpec:
    namespace: str
    name: str
    policy_arns: list[str]
    role_name: str | None = None
    role_only: bool = False
    override: bool = False

    @property
    def ident(self) -> str:
        return f"{self.namespace}/{self.name}"


def _task_tree(spec: IrsaSpec, plan: bool) -> str:
    steps = [f"create IAM role for serviceaccount \"{spec.ident}\""]
    if not spec.role_only:
        steps.append(f"create serviceaccount \"{spec.ident}\"")
    prefix = "(plan) " if plan else ""
    body = "".join(f"        {s},\n" for s in steps)
    return f"{prefix}1 task: {{ \n    {len(steps)} sequential sub-tasks: {{ \n{body}    }} }}"


def create(ctl: Ctl, spec: IrsaSpec, approve: bool) -> None:
    if not spec.name:
        raise EksctlError("--name must be set")
    if not spec.policy_arns:
        raise EksctlError("--attach-policy-arn or --attach-role-arn must be set")
    if not oidc.provider_exists(ctl):
        logs.warning("no IAM OIDC provider associated with cluster, try 'eksctl utils "
                     f"associate-iam-oidc-provider --region={ctl.session.region_name} "
                     f"--cluster={ctl.cluster}'")
        raise EksctlError("unable to create iamserviceaccount(s) without IAM OIDC provider enabled")
    existing_role = roles.find_owned(ctl, names.IRSA_TAG, spec.ident)
    existing_sa = None if spec.role_only else serviceaccounts.get(ctl, spec.namespace, spec.name)
    if existing_role is not None or (existing_sa is not None and not spec.override):
        logs.info(f"1 existing iamserviceaccount(s) ({spec.ident}) will be excluded")
        logs.info(f"1 iamserviceaccount ({spec.ident}) was excluded (based on the include/exclude rules)")
    else:
        logs.info(f"1 iamserviceaccount ({spec.ident}) was included (based on the include/exclude rules)")
    if spec.role_only:
        logs.warning("serviceaccounts in Kubernetes will not be created or modified, since the option "
                     "--role-only is used")
    elif spec.override:
        logs.warning("metadata of serviceaccounts that exist in Kubernetes will be updated, as "
                     "--override-existing-serviceaccounts was set")
    else:
        logs.warning("serviceaccounts that exist in Kubernetes will be excluded, use "
                     "--override-existing-serviceaccounts to override")
    if existing_role is not None or (existing_sa is not None and not spec.override):
        return
    logs.info(_task_tree(spec, not approve))
    if not approve:
        logs.plan_warning()
        return
    stack = names.irsa_stack_name(ctl.cluster, spec.namespace, spec.name)
    role_name = spec.role_name or names.generated_role_name(stack)
    arn = roles.create_role(ctl, role_name, oidc.irsa_trust(ctl, spec.namespace, spec.name),
                            spec.policy_arns, names.role_tags(ctl.cluster, names.IRSA_TAG, spec.ident))
    logs.info(f"created IAM role \"{role_name}\" for serviceaccount \"{spec.ident}\"")
    if not spec.role_only:
        try:
            serviceaccounts.create_or_update(ctl, spec.namespace, spec.name,
                                             {names.ROLE_ARN_ANNOTATION: arn},
                                             {names.MANAGED_BY_LABEL: "eksctl"})
        except Exception:
            roles.delete_role(ctl, role_name)
            raise


def listing(ctl: Ctl, namespace: str | None, name: str | None) -> list[dict[str, Any]]:
    """eksctl's ClusterIAMServiceAccount objects for ``get iamserviceaccount``."""
    ctl.describe()
    out = []
    for role in roles.owned_roles(ctl, names.IRSA_TAG):
        ns, _, sa = role.tags[names.IRSA_TAG].partition("/")
        if (namespace and ns != namespace) or (name and sa != name):
            continue
        stack = names.irsa_stack_name(ctl.cluster, ns, sa)
        out.append({"metadata": {"name": sa, "namespace": ns}, "attachPolicyARNs": list(role.policies),
                    "roleName": role.name,
                    "status": {"roleARN": role.arn, "stackName": stack, "tags": role.tags}})
    return out


def delete(ctl: Ctl, namespace: str, name: str) -> None:
    if not name:
        raise EksctlError("--name must be set")
    ctl.describe()
    ident = f"{namespace}/{name}"
    role = roles.find_owned(ctl, names.IRSA_TAG, ident)
    if role is None:
        raise EksctlError(f"iamserviceaccount \"{ident}\" not found in cluster \"{ctl.cluster}\"")
    logs.info(f"1 iamserviceaccount ({ident}) was included (based on the include/exclude rules)")
    logs.info("1 task: { \n    2 sequential sub-tasks: { \n"
              f"        delete IAM role for serviceaccount \"{ident}\" [async],\n"
              f"        delete serviceaccount \"{ident}\",\n    }} }}")
    roles.delete_role(ctl, role.name)
    logs.info(f"deleted IAM role \"{role.name}\" for serviceaccount \"{ident}\"")
    serviceaccounts.delete(ctl, namespace, name)
