"""IAM users and access keys: CreateUser/GetUser/ListUsers/DeleteUser/TagUser/UntagUser/ListUserTags,
CreateAccessKey/ListAccessKeys/UpdateAccessKey/DeleteAccessKey."""

from __future__ import annotations

from typing import Any

from podid.errors import ServiceError
from podid.gateway.context import CallContext
from podid.iamapi import shapes
from podid.iamapi.common import (
    STATUS,
    account,
    iam_op,
    name_param,
    page,
    path_param,
    path_prefix_param,
    required,
    store,
    tags_param,
    validation,
)
from podid.iamapi.principals import Principal, check_boundary, create_context, register_tag_ops
from podid.store import Store, errors
from podid.store.users import user_arn

USER = Principal("User", Store.get_user, user_arn, errors.no_user, Store.tag_user, Store.untag_user)
authorize_user = USER.authorize


def caller_user_name(ctx: CallContext) -> str:
    """UserName defaults to the calling IAM user (access key operations, GetUser)."""
    if ctx.caller.kind == "user" and ctx.caller.user_name:
        return ctx.caller.user_name
    if ctx.caller.kind == "user":
        return ctx.caller.arn.rsplit("/", 1)[-1]
    raise ServiceError("ValidationError", "Must specify userName when calling with non-User credentials", 400)


@iam_op("CreateUser")
def create_user(ctx: CallContext) -> dict[str, Any]:
    p = ctx.params
    name = name_param(p, "UserName")
    path = path_param(p)
    tags = tags_param(p)
    boundary = p.get("PermissionsBoundary")
    context = create_context(tags, boundary)
    ctx.authorize("iam:CreateUser", user_arn(account(ctx), name, path), context=context)
    check_boundary(ctx, boundary)
    u = store(ctx).create_user(account(ctx), name, path=path, tags=tags, permissions_boundary=boundary)
    return {"User": shapes.user(u)}


@iam_op("GetUser")
def get_user(ctx: CallContext) -> dict[str, Any]:
    name = name_param(ctx.params, "UserName", optional=True) or caller_user_name(ctx)
    return {"User": shapes.user(authorize_user(ctx, "iam:GetUser", name))}


@iam_op("ListUsers")
def list_users(ctx: CallContext) -> dict[str, Any]:
    prefix = path_prefix_param(ctx.params)
    ctx.authorize("iam:ListUsers", f"arn:aws:iam::{account(ctx)}:user{prefix}")
    users = [shapes.user(u, full=False) for u in store(ctx).list_users(account(ctx), prefix)]
    return page(ctx.params, users, "Users")


@iam_op("DeleteUser")
def delete_user(ctx: CallContext) -> dict[str, Any]:
    name = name_param(ctx.params, "UserName")
    authorize_user(ctx, "iam:DeleteUser", name)
    store(ctx).delete_user(account(ctx), name)
    return {}


register_tag_ops(USER)  # TagUser, UntagUser, ListUserTags


# --- access keys --------------------------------------------------------------------------------


@iam_op("CreateAccessKey")
def create_access_key(ctx: CallContext) -> dict[str, Any]:
    name = name_param(ctx.params, "UserName", optional=True) or caller_user_name(ctx)
    authorize_user(ctx, "iam:CreateAccessKey", name)
    key = store(ctx).create_access_key(account(ctx), name)
    return {"AccessKey": shapes.access_key(key, secret=True)}


@iam_op("ListAccessKeys")
def list_access_keys(ctx: CallContext) -> dict[str, Any]:
    name = name_param(ctx.params, "UserName", optional=True) or caller_user_name(ctx)
    authorize_user(ctx, "iam:ListAccessKeys", name)
    keys = [shapes.access_key(k) for k in store(ctx).list_access_keys(account(ctx), name)]
    return page(ctx.params, keys, "AccessKeyMetadata")


@iam_op("UpdateAccessKey")
def update_access_key(ctx: CallContext) -> dict[str, Any]:
    name = name_param(ctx.params, "UserName", optional=True) or caller_user_name(ctx)
    akid = required(ctx.params, "AccessKeyId")
    status = required(ctx.params, "Status")
    if status not in STATUS:
        raise validation(status, "status", "Member must satisfy enum value set: [Active, Inactive]")
    authorize_user(ctx, "iam:UpdateAccessKey", name)
    store(ctx).update_access_key(account(ctx), name, akid, status)
    return {}


@iam_op("DeleteAccessKey")
def delete_access_key(ctx: CallContext) -> dict[str, Any]:
    name = name_param(ctx.params, "UserName", optional=True) or caller_user_name(ctx)
    akid = required(ctx.params, "AccessKeyId")
    authorize_user(ctx, "iam:DeleteAccessKey", name)
    store(ctx).delete_access_key(account(ctx), name, akid)
    return {}


@iam_op("ListGroupsForUser")
def list_groups_for_user(ctx: CallContext) -> dict[str, Any]:
    """podid has no IAM groups: always empty (tools call this before DeleteUser)."""
    name = name_param(ctx.params, "UserName")
    authorize_user(ctx, "iam:ListGroupsForUser", name)
    return {"Groups": [], "IsTruncated": False}
