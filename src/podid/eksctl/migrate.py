"""``eksctl utils migrate-to-pod-identity``: for every ServiceAccount annotated with an IRSA role,
add the pods.eks.amazonaws.com trust to the role and create a pod identity association for the same
role (eksctl's Migrator); install the agent add-on when missing. Without ``--approve``: plan only."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError

from podid.eksctl import addons, logs, names, oidc, roles, serviceaccounts
from podid.eksctl.errors import EksctlError
from podid.eksctl.session import Ctl


def _trust_statements(ctl: Ctl, role_name: str, remove_oidc: bool) -> list[dict[str, Any]]:
    doc = ctl.aws("iam").get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    policy = json.loads(unquote(doc)) if isinstance(doc, str) else doc
    statements = policy.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else list(statements)
    if remove_oidc:
        statements = [s for s in statements if not isinstance(s, dict) or "oidc-provider" not in str(
            (s.get("Principal") or {}).get("Federated", ""))]
    if roles.POD_IDENTITY_STATEMENT not in statements:
        statements.append(roles.POD_IDENTITY_STATEMENT)
    return statements


def migrate(ctl: Ctl, approve: bool, remove_oidc: bool) -> None:
    if not oidc.provider_exists(ctl):
        logs.warning("no IAM OIDC provider associated with cluster, hence no iamserviceaccounts "
                     "to be migrated")
        return
    plan = not approve
    tasks: list[str] = []
    agent = addons.installed(ctl, names.POD_IDENTITY_AGENT)
    if not agent:
        tasks.append(f"install {names.POD_IDENTITY_AGENT} addon")
    owned = {r.arn: r for r in roles.owned_roles(ctl, names.IRSA_TAG)}
    found = []
    for sa in serviceaccounts.annotated(ctl, names.ROLE_ARN_ANNOTATION):
        arn = sa.metadata.annotations[names.ROLE_ARN_ANNOTATION]
        logs.info(f"found IAM role for service account {sa.metadata.namespace}/{sa.metadata.name}")
        found.append((sa, arn))
    if not found:
        logs.info("no iamserviceaccounts or addons found to migrate to pod identity")
        return
    for sa, arn in found:
        ident = f"{sa.metadata.namespace}/{sa.metadata.name}"
        kind = "owned" if arn in owned else "unowned"
        tasks.append(f"update trust policy for {kind} role \"{names.role_name_from_arn(arn)}\"")
        if remove_oidc:
            tasks.append(f"remove iamserviceaccount EKS role annotation for \"{ident}\"")
        tasks.append(f"create pod identity association for service account \"{ident}\"")
    prefix = "(plan) " if plan else ""
    logs.info(f"{prefix}will migrate {len(found)} iamserviceaccount(s) and 0 addon(s) to pod identity "
              "by executing the following tasks")
    logs.info(f"{prefix}{len(tasks)} tasks: {{ " + ", ".join(tasks) + " }")
    if plan:
        logs.plan_warning()
        return
    if not agent:
        addons.create(ctl, names.POD_IDENTITY_AGENT)
    iam, eks = ctl.aws("iam"), ctl.aws("eks")
    for sa, arn in found:
        role_name = names.role_name_from_arn(arn)
        ns, name = sa.metadata.namespace, sa.metadata.name
        statements = _trust_statements(ctl, role_name, remove_oidc)
        iam.update_assume_role_policy(RoleName=role_name, PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": statements}))
        if arn in owned:
            iam.tag_role(RoleName=role_name, Tags=[{"Key": names.PIA_TAG, "Value": f"{ns}/{name}"}])
        logs.info(f"updated trust policy for role {role_name}")
        if remove_oidc:
            sa.metadata.annotations.pop(names.ROLE_ARN_ANNOTATION, None)
            ctl.core().replace_namespaced_service_account(name, ns, sa)
            logs.info(f"removed iamserviceaccount annotation with key \"{names.ROLE_ARN_ANNOTATION}\" "
                      f"for \"{ns}/{name}\"")
        try:
            eks.create_pod_identity_association(clusterName=ctl.cluster, namespace=ns,
                                                serviceAccount=name, roleArn=arn)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") != "ResourceInUseException":
                raise EksctlError(f"creating pod identity association for service account \"{name}\" "
                                  f"in namespace \"{ns}\": {err}") from err
            logs.info(f"pod identity association {ns}/{name} already exists")
            continue
        logs.info(f"created pod identity association for service account \"{name}\" in namespace \"{ns}\"")
    logs.info("all tasks were completed successfully")
