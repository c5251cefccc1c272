"""GetAccountAuthorizationDetails: every user, role and policy of the account with their documents."""

from __future__ import annotations

from typing import Any

from podid.gateway.context import CallContext
from podid.iamapi import shapes
from podid.iamapi.common import account, encode_document, iam_op, page, store
from podid.store.records import PrincipalKind

FILTERS = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")


def _inline(ctx: CallContext, kind: PrincipalKind, name: str) -> list[dict[str, Any]]:
    st, acct = store(ctx), account(ctx)
    return [
        {
            "PolicyName": n,
            "PolicyDocument": encode_document(st.get_inline_policy(acct, kind, name, n).document),
        }
        for n in st.list_inline_policies(acct, kind, name)
    ]


def _attached(ctx: CallContext, kind: PrincipalKind, name: str) -> list[dict[str, Any]]:
    return [shapes.attached(a) for a in store(ctx).list_attached_policies(account(ctx), kind, name)]


@iam_op("GetAccountAuthorizationDetails")
def get_account_authorization_details(ctx: CallContext) -> dict[str, Any]:
    ctx.authorize("iam:GetAccountAuthorizationDetails", "*")
    wanted = set(ctx.params.get("Filter") or FILTERS)
    st, acct = store(ctx), account(ctx)
    users: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    policies: list[dict[str, Any]] = []
    if "User" in wanted:
        for u in st.list_users(acct):
            d = shapes.user(u)
            d.update(
                UserPolicyList=_inline(ctx, "user", u.name),
                GroupList=[],
                AttachedManagedPolicies=_attached(ctx, "user", u.name),
            )
            users.append(d)
    if "Role" in wanted:
        for r in st.list_roles(acct):
            d = shapes.role(r)
            d.update(
                InstanceProfileList=[],
                RolePolicyList=_inline(ctx, "role", r.name),
                AttachedManagedPolicies=_attached(ctx, "role", r.name),
            )
            roles.append(d)
    scopes = []
    if "LocalManagedPolicy" in wanted:
        scopes.append(st.list_policies(acct, scope="Local"))
    if "AWSManagedPolicy" in wanted:
        scopes.append(st.list_policies(acct, scope="AWS", only_attached=True))
    for records in scopes:
        for p in records:
            d = shapes.policy(p, description=True, tags=False)
            d["PolicyVersionList"] = [shapes.version(v) for v in st.list_policy_versions(acct, p.arn)]
            policies.append(d)
    out = page(ctx.params, users + roles, "_")  # paging over users+roles keeps markers simple
    return {
        "UserDetailList": [x for x in out["_"] if "UserId" in x],
        "GroupDetailList": [],
        "RoleDetailList": [x for x in out["_"] if "RoleId" in x],
        "Policies": policies if not ctx.params.get("Marker") else [],
        "IsTruncated": out["IsTruncated"],
        **({"Marker": out["Marker"]} if "Marker" in out else {}),
    }
