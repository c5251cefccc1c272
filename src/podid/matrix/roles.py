"""A role's policies as IAM returns them: attached managed policies (their default version), inline
policies, the permissions boundary and the role's tags, read with boto3's IAM client."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from podid.matrix.model import PolicyDoc, RolePolicies


def document(raw: Any) -> Any:
    """A policy document as boto3 hands it back: a dict, or (URL-encoded) JSON text."""
    if isinstance(raw, str):
        text = raw if raw.lstrip().startswith("{") else unquote(raw)
        return json.loads(text)
    return raw


def _managed(iam: Any, arn: str) -> PolicyDoc:
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
    return policy["PolicyName"], document(version["PolicyVersion"]["Document"])


def role_policies(iam: Any, role_arn: str) -> RolePolicies:
    """Identity policies, boundary and tags of the role `role_arn` (its name is the last segment)."""
    name = role_arn.rsplit("/", 1)[-1]
    role = iam.get_role(RoleName=name)["Role"]
    identity: list[PolicyDoc] = []
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
        identity.extend(_managed(iam, a["PolicyArn"]) for a in page["AttachedPolicies"])
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
        for policy_name in sorted(page["PolicyNames"]):
            got = iam.get_role_policy(RoleName=name, PolicyName=policy_name)
            identity.append((policy_name, document(got["PolicyDocument"])))
    boundary_arn = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    boundary = _managed(iam, boundary_arn) if boundary_arn else None
    tags = tuple((t["Key"], t["Value"]) for t in role.get("Tags", []))
    return RolePolicies(role["Arn"], tuple(identity), boundary, tags)
