"""IAM roles: CreateRole/GetRole/ListRoles/DeleteRole/UpdateRole/UpdateRoleDescription/
UpdateAssumeRolePolicy/TagRole/UntagRole/ListRoleTags."""

from __future__ import annotations

from typing import Any

from podid.gateway.context import CallContext
from podid.iamapi import shapes
from podid.iamapi.common import (
    account,
    description_param,
    iam_op,
    name_param,
    page,
    path_param,
    path_prefix_param,
    policy_document,
    store,
    tags_param,
    validation,
)
from podid.iamapi.principals import Principal, check_boundary, create_context, register_tag_ops
from podid.store import Store, errors
from podid.store.roles import role_arn

MIN_SESSION, MAX_SESSION = 3600, 43200


ROLE = Principal("Role", Store.get_role, role_arn, errors.no_role, Store.tag_role, Store.untag_role)
authorize_role = ROLE.authorize


def session_duration(value: Any) -> int | None:
    if value is None:
        return None
    value = int(value)
    if value < MIN_SESSION:
        raise validation(
            value, "maxSessionDuration", f"Member must have value greater than or equal to {MIN_SESSION}"
        )
    if value > MAX_SESSION:
        raise validation(
            value, "maxSessionDuration", f"Member must have value less than or equal to {MAX_SESSION}"
        )
    return value


def trust_document(ctx: CallContext, name: str) -> str:
    return policy_document(ctx.params, "AssumeRolePolicyDocument", kind="trust", size="trust", name=name)


@iam_op("CreateRole")
def create_role(ctx: CallContext) -> dict[str, Any]:
    p = ctx.params
    name = name_param(p, "RoleName")
    path = path_param(p)
    tags = tags_param(p)
    description = description_param(p)
    duration = session_duration(p.get("MaxSessionDuration")) or MIN_SESSION
    boundary = p.get("PermissionsBoundary")
    context = create_context(tags, boundary)
    ctx.authorize("iam:CreateRole", role_arn(account(ctx), name, path), context=context)
    trust = trust_document(ctx, name)
    check_boundary(ctx, boundary)
    r = store(ctx).create_role(
        account(ctx),
        name,
        trust,
        path=path,
        description=description,
        max_session_duration=duration,
        tags=tags,
        permissions_boundary=boundary,
    )
    out = shapes.role(r)
    out.pop("RoleLastUsed", None)
    return {"Role": out}


@iam_op("GetRole")
def get_role(ctx: CallContext) -> dict[str, Any]:
    name = name_param(ctx.params, "RoleName")
    return {"Role": shapes.role(authorize_role(ctx, "iam:GetRole", name))}


@iam_op("ListRoles")
def list_roles(ctx: CallContext) -> dict[str, Any]:
    prefix = path_prefix_param(ctx.params)
    ctx.authorize("iam:ListRoles", f"arn:aws:iam::{account(ctx)}:role{prefix}")
    roles = [shapes.role(r, full=False) for r in store(ctx).list_roles(account(ctx), prefix)]
    return page(ctx.params, roles, "Roles")


@iam_op("DeleteRole")
def delete_role(ctx: CallContext) -> dict[str, Any]:
    name = name_param(ctx.params, "RoleName")
    authorize_role(ctx, "iam:DeleteRole", name)
    store(ctx).delete_role(account(ctx), name)
    return {}


@iam_op("UpdateRole")
def update_role(ctx: CallContext) -> dict[str, Any]:
    p = ctx.params
    name = name_param(p, "RoleName")
    description = description_param(p)
    duration = session_duration(p.get("MaxSessionDuration"))
    authorize_role(ctx, "iam:UpdateRole", name)
    if "Description" in p:
        store(ctx).update_role(account(ctx), name, description=description, max_session_duration=duration)
    else:
        store(ctx).update_role(account(ctx), name, max_session_duration=duration)
    return {}


@iam_op("UpdateRoleDescription")
def update_role_description(ctx: CallContext) -> dict[str, Any]:
    name = name_param(ctx.params, "RoleName")
    description = description_param(ctx.params)
    authorize_role(ctx, "iam:UpdateRoleDescription", name)
    return {"Role": shapes.role(store(ctx).update_role(account(ctx), name, description=description or ""))}


@iam_op("UpdateAssumeRolePolicy")
def update_assume_role_policy(ctx: CallContext) -> dict[str, Any]:
    name = name_param(ctx.params, "RoleName")
    authorize_role(ctx, "iam:UpdateAssumeRolePolicy", name)
    doc = policy_document(ctx.params, "PolicyDocument", kind="trust", size="trust", name=name)
    store(ctx).update_assume_role_policy(account(ctx), name, doc)
    return {}


register_tag_ops(ROLE)  # TagRole, UntagRole, ListRoleTags


@iam_op("ListInstanceProfilesForRole")
def list_instance_profiles_for_role(ctx: CallContext) -> dict[str, Any]:
    """podid has no instance profiles: always empty (tools call this before DeleteRole)."""
    name = name_param(ctx.params, "RoleName")
    authorize_role(ctx, "iam:ListInstanceProfilesForRole", name)
    return {"InstanceProfiles": [], "IsTruncated": False}
