"""Managed policies and versions (Create/Get/List/DeletePolicy, *PolicyVersion, policy tags)."""

from __future__ import annotations

from typing import Any

from podid.gateway.context import CallContext
from podid.iamapi import shapes
from podid.iamapi.common import (
    account,
    check_policy_arn,
    description_param,
    iam_op,
    name_param,
    page,
    path_param,
    path_prefix_param,
    policy_document,
    required,
    store,
    tag_context,
    tags_param,
    validation,
)
from podid.store import PolicyRecord, errors
from podid.store.policies import Scope, policy_arn

SCOPES = ("All", "AWS", "Local")


def policy_param(ctx: CallContext) -> str:
    return check_policy_arn(required(ctx.params, "PolicyArn"))


def authorize_policy(
    ctx: CallContext, action: str, arn: str, extra: dict[str, Any] | None = None
) -> PolicyRecord:
    ctx.authorize(action, arn, context=extra or {})
    p = store(ctx).get_policy(account(ctx), arn)
    if p is None:
        raise errors.no_policy(arn)
    return p


def managed_document(ctx: CallContext, key: str, name: str) -> str:
    return policy_document(ctx.params, key, kind="identity", size="managed", name=name)


@iam_op("CreatePolicy")
def create_policy(ctx: CallContext) -> dict[str, Any]:
    p = ctx.params
    name = name_param(p, "PolicyName", 128)
    path = path_param(p)
    description = description_param(p)
    tags = tags_param(p)
    ctx.authorize("iam:CreatePolicy", policy_arn(account(ctx), name, path), context=tag_context(tags))
    doc = managed_document(ctx, "PolicyDocument", name)
    record = store(ctx).create_policy(account(ctx), name, doc, path=path, description=description, tags=tags)
    return {"Policy": shapes.policy(record)}


@iam_op("GetPolicy")
def get_policy(ctx: CallContext) -> dict[str, Any]:
    arn = policy_param(ctx)
    return {"Policy": shapes.policy(authorize_policy(ctx, "iam:GetPolicy", arn), description=True)}


@iam_op("ListPolicies")
def list_policies(ctx: CallContext) -> dict[str, Any]:
    p = ctx.params
    scope: Scope = p.get("Scope") or "All"
    if scope not in SCOPES:
        raise validation(scope, "scope", "Member must satisfy enum value set: [All, AWS, Local]")
    prefix = path_prefix_param(p)
    ctx.authorize("iam:ListPolicies", f"arn:aws:iam::{account(ctx)}:policy{prefix}")
    records = store(ctx).list_policies(
        account(ctx), scope=scope, only_attached=bool(p.get("OnlyAttached")), path_prefix=prefix
    )
    usage = p.get("PolicyUsageFilter")
    if usage == "PermissionsBoundary":
        records = [r for r in records if r.permissions_boundary_usage_count]
    elif usage == "PermissionsPolicy" and p.get("OnlyAttached"):
        records = [r for r in records if r.attachment_count]
    return page(p, [shapes.policy(r, tags=False) for r in records], "Policies")


@iam_op("DeletePolicy")
def delete_policy(ctx: CallContext) -> dict[str, Any]:
    arn = policy_param(ctx)
    ctx.authorize("iam:DeletePolicy", arn)
    store(ctx).delete_policy(account(ctx), arn)
    return {}


@iam_op("CreatePolicyVersion")
def create_policy_version(ctx: CallContext) -> dict[str, Any]:
    arn = policy_param(ctx)
    ctx.authorize("iam:CreatePolicyVersion", arn)
    doc = managed_document(ctx, "PolicyDocument", arn.rsplit("/", 1)[-1])
    v = store(ctx).create_policy_version(
        account(ctx), arn, doc, set_as_default=bool(ctx.params.get("SetAsDefault"))
    )
    return {"PolicyVersion": shapes.version(v, document=False)}


def version_param(ctx: CallContext) -> str:
    vid = required(ctx.params, "VersionId")
    if not isinstance(vid, str) or not vid.startswith("v") or not vid[1:].isdigit():
        raise validation(
            vid,
            "versionId",
            r"Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?",
        )
    return vid


def authorize_version(ctx: CallContext, action: str) -> tuple[str, str]:
    """(policy ARN, version id) of a *PolicyVersion request, validated, once `action` on it is allowed."""
    arn = policy_param(ctx)
    vid = version_param(ctx)
    ctx.authorize(action, arn)
    return arn, vid


@iam_op("GetPolicyVersion")
def get_policy_version(ctx: CallContext) -> dict[str, Any]:
    arn, vid = authorize_version(ctx, "iam:GetPolicyVersion")
    return {"PolicyVersion": shapes.version(store(ctx).get_policy_version(account(ctx), arn, vid))}


@iam_op("ListPolicyVersions")
def list_policy_versions(ctx: CallContext) -> dict[str, Any]:
    arn = policy_param(ctx)
    ctx.authorize("iam:ListPolicyVersions", arn)
    versions = [shapes.version(v, document=False) for v in store(ctx).list_policy_versions(account(ctx), arn)]
    return page(ctx.params, versions, "Versions")


@iam_op("SetDefaultPolicyVersion")
def set_default_policy_version(ctx: CallContext) -> dict[str, Any]:
    arn, vid = authorize_version(ctx, "iam:SetDefaultPolicyVersion")
    store(ctx).set_default_policy_version(account(ctx), arn, vid)
    return {}


@iam_op("DeletePolicyVersion")
def delete_policy_version(ctx: CallContext) -> dict[str, Any]:
    arn, vid = authorize_version(ctx, "iam:DeletePolicyVersion")
    store(ctx).delete_policy_version(account(ctx), arn, vid)
    return {}


@iam_op("TagPolicy")
def tag_policy(ctx: CallContext) -> dict[str, Any]:
    arn = policy_param(ctx)
    tags = tags_param(ctx.params)
    ctx.authorize("iam:TagPolicy", arn, context=tag_context(tags))
    store(ctx).tag_policy(account(ctx), arn, tags)
    return {}


@iam_op("UntagPolicy")
def untag_policy(ctx: CallContext) -> dict[str, Any]:
    arn = policy_param(ctx)
    keys = list(required(ctx.params, "TagKeys"))
    ctx.authorize("iam:UntagPolicy", arn, context={"aws:TagKeys": keys})
    store(ctx).untag_policy(account(ctx), arn, keys)
    return {}


@iam_op("ListPolicyTags")
def list_policy_tags(ctx: CallContext) -> dict[str, Any]:
    arn = policy_param(ctx)
    p = authorize_policy(ctx, "iam:ListPolicyTags", arn)
    return page(ctx.params, p.tags, "Tags")


@iam_op("ListEntitiesForPolicy")
def list_entities_for_policy(ctx: CallContext) -> dict[str, Any]:
    arn = policy_param(ctx)
    authorize_policy(ctx, "iam:ListEntitiesForPolicy", arn)
    entities = store(ctx).policy_entities(account(ctx), arn)
    wanted = ctx.params.get("EntityFilter")
    roles = [{"RoleName": n, "RoleId": i} for n, i in entities["role"]] if wanted in (None, "Role") else []
    users = [{"UserName": n, "UserId": i} for n, i in entities["user"]] if wanted in (None, "User") else []
    return {"PolicyGroups": [], "PolicyUsers": users, "PolicyRoles": roles, "IsTruncated": False}
