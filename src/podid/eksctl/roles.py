"""The IAM roles eksctl owns: create (trust, attached policies, eksctl's tags), find by tag, delete."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from podid.eksctl import names
from podid.eksctl.errors import EksctlError
from podid.eksctl.session import Ctl, error_code

POD_IDENTITY_STATEMENT: dict[str, Any] = {
    "Effect": "Allow",
    "Principal": {"Service": "pods.eks.amazonaws.com"},
    "Action": ["sts:AssumeRole", "sts:TagSession"],
}
POD_IDENTITY_TRUST = {"Version": "2012-10-17", "Statement": [POD_IDENTITY_STATEMENT]}


@dataclass(frozen=True)
class OwnedRole:
    name: str
    arn: str
    tags: dict[str, str]
    policies: tuple[str, ...]


def create_role(ctl: Ctl, name: str, trust: dict[str, Any], policy_arns: list[str],
                tags: list[dict[str, str]]) -> str:
    """Create the role and attach the policies; on any failure remove what was created."""
    iam = ctl.aws("iam")
    try:
        arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                                  Tags=tags)["Role"]["Arn"])
    except ClientError as err:
        raise EksctlError(f"creating IAM role \"{name}\": {err}") from err
    try:
        for policy in policy_arns:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    except ClientError as err:
        delete_role(ctl, name)
        raise EksctlError(f"attaching policies to IAM role \"{name}\": {err}") from err
    return arn


def delete_role(ctl: Ctl, name: str) -> None:
    iam = ctl.aws("iam")
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
        for policy in page["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
        for policy_name in page["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
    iam.delete_role(RoleName=name)


def owned_roles(ctl: Ctl, kind_tag: str) -> list[OwnedRole]:
    """Roles tagged by eksctl for this cluster with ``kind_tag`` (ListRoles returns no tags on AWS:
    ListRoleTags per role)."""
    iam = ctl.aws("iam")
    found: list[OwnedRole] = []
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            try:
                raw = iam.list_role_tags(RoleName=role["RoleName"])["Tags"]
            except ClientError as err:
                if error_code(err) == "NoSuchEntity":
                    continue
                raise
            tags = {t["Key"]: t["Value"] for t in raw}
            if tags.get(names.CLUSTER_TAG) != ctl.cluster or kind_tag not in tags:
                continue
            attached = iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]
            found.append(OwnedRole(role["RoleName"], role["Arn"], tags,
                                   tuple(p["PolicyArn"] for p in attached)))
    return sorted(found, key=lambda r: r.tags[kind_tag])


def find_owned(ctl: Ctl, kind_tag: str, ident: str) -> OwnedRole | None:
    return next((r for r in owned_roles(ctl, kind_tag) if r.tags[kind_tag] == ident), None)
