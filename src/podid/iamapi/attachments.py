"""Attached managed policies, inline policies and permissions boundaries of roles and users."""

from __future__ import annotations

from typing import Any

from podid.gateway.context import CallContext
from podid.iamapi.common import (
    account,
    check_policy_arn,
    encode_document,
    iam_op,
    name_param,
    page,
    path_prefix_param,
    policy_document,
    required,
    store,
)
from podid.iamapi.principals import Principal
from podid.iamapi.roles import ROLE
from podid.iamapi.users import USER
from podid.store.records import PrincipalKind

_PRINCIPALS: dict[PrincipalKind, Principal[Any]] = {"role": ROLE, "user": USER}


def _authorize(
    ctx: CallContext, kind: PrincipalKind, action: str, extra: dict[str, Any] | None = None
) -> str:
    """Authorize `action` on the role/user named in the request; returns its (stored) name."""
    p = _PRINCIPALS[kind]
    name = name_param(ctx.params, p.name_key)
    return p.authorize(ctx, action, name, extra).name


def _register(kind: PrincipalKind) -> None:
    principal = _PRINCIPALS[kind]
    title = principal.noun
    inline_size = "inline_role" if kind == "role" else "inline_user"

    @iam_op(f"Attach{title}Policy")
    def attach(ctx: CallContext) -> dict[str, Any]:
        arn = check_policy_arn(required(ctx.params, "PolicyArn"))
        name = _authorize(ctx, kind, f"iam:Attach{title}Policy", {"iam:PolicyARN": arn})
        store(ctx).attach_policy(account(ctx), kind, name, arn)
        return {}

    @iam_op(f"Detach{title}Policy")
    def detach(ctx: CallContext) -> dict[str, Any]:
        arn = check_policy_arn(required(ctx.params, "PolicyArn"))
        name = _authorize(ctx, kind, f"iam:Detach{title}Policy", {"iam:PolicyARN": arn})
        store(ctx).detach_policy(account(ctx), kind, name, arn)
        return {}

    @iam_op(f"ListAttached{title}Policies")
    def list_attached(ctx: CallContext) -> dict[str, Any]:
        prefix = path_prefix_param(ctx.params)
        name = _authorize(ctx, kind, f"iam:ListAttached{title}Policies")
        items = [
            {"PolicyName": a.policy_name, "PolicyArn": a.policy_arn}
            for a in store(ctx).list_attached_policies(account(ctx), kind, name, prefix)
        ]
        return page(ctx.params, items, "AttachedPolicies")

    @iam_op(f"Put{title}Policy")
    def put_inline(ctx: CallContext) -> dict[str, Any]:
        policy_name = name_param(ctx.params, "PolicyName", 128)
        name = _authorize(ctx, kind, f"iam:Put{title}Policy")
        doc = policy_document(
            ctx.params, "PolicyDocument", kind="identity", size=inline_size, name=policy_name
        )
        store(ctx).put_inline_policy(account(ctx), kind, name, policy_name, doc)
        return {}

    @iam_op(f"Get{title}Policy")
    def get_inline(ctx: CallContext) -> dict[str, Any]:
        policy_name = name_param(ctx.params, "PolicyName", 128)
        name = _authorize(ctx, kind, f"iam:Get{title}Policy")
        rec = store(ctx).get_inline_policy(account(ctx), kind, name, policy_name)
        return {
            principal.name_key: rec.principal_name,
            "PolicyName": rec.policy_name,
            "PolicyDocument": encode_document(rec.document),
        }

    @iam_op(f"List{title}Policies")
    def list_inline(ctx: CallContext) -> dict[str, Any]:
        name = _authorize(ctx, kind, f"iam:List{title}Policies")
        return page(ctx.params, store(ctx).list_inline_policies(account(ctx), kind, name), "PolicyNames")

    @iam_op(f"Delete{title}Policy")
    def delete_inline(ctx: CallContext) -> dict[str, Any]:
        policy_name = name_param(ctx.params, "PolicyName", 128)
        name = _authorize(ctx, kind, f"iam:Delete{title}Policy")
        store(ctx).delete_inline_policy(account(ctx), kind, name, policy_name)
        return {}

    @iam_op(f"Put{title}PermissionsBoundary")
    def put_boundary(ctx: CallContext) -> dict[str, Any]:
        arn = check_policy_arn(required(ctx.params, "PermissionsBoundary"), "permissionsBoundary")
        name = _authorize(ctx, kind, f"iam:Put{title}PermissionsBoundary", {"iam:PermissionsBoundary": arn})
        store(ctx).put_permissions_boundary(account(ctx), kind, name, arn)
        return {}

    @iam_op(f"Delete{title}PermissionsBoundary")
    def delete_boundary(ctx: CallContext) -> dict[str, Any]:
        name = _authorize(ctx, kind, f"iam:Delete{title}PermissionsBoundary")
        store(ctx).delete_permissions_boundary(account(ctx), kind, name)
        return {}


_register("role")
_register("user")
