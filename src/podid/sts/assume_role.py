"""STS AssumeRole: an IAM user or role session gets temporary credentials of a role.

Authorization, as AWS does it: ``sts:AssumeRole`` on the role ARN is judged with the role's trust
policy as the resource policy and the caller's identity policies, boundary and session policy
(same account: a trust naming the caller suffices, a trust naming the account delegates to the
identity policies). Session tags (passed or inherited transitive ones) also need
``sts:TagSession``, ``SourceIdentity`` needs ``sts:SetSourceIdentity``; the request's tags,
``ExternalId``, ``SourceIdentity`` and session name are condition keys of all three. A role in
another account additionally needs an identity-policy allow. Every denial reads
``User: <caller> is not authorized to perform: <action> on resource: <role arn>`` (403).
"""

from __future__ import annotations

from typing import Any

from podid.errors import ServiceError
from podid.gateway.authz import AuthzRecord
from podid.gateway.context import CallContext
from podid.gateway.registry import handler
from podid.sts.sessions import (
    RoleSession,
    SessionRequest,
    find_role,
    issue_session,
    prepare_session,
    validate_request,
)


def _denied(ctx: CallContext, action: str, role_arn: str) -> ServiceError:
    return ServiceError("AccessDenied", f"User: {ctx.caller.arn} is not authorized to perform: {action} "
                        f"on resource: {role_arn}", 403)


def _authorize(ctx: CallContext, action: str, session: RoleSession) -> None:
    role_arn = session.role_arn
    keys = session.context()
    try:
        if str(session.role.account_id) != ctx.caller.account:
            ctx.authorize(action, role_arn, context=keys)  # cross account: identity side must allow too
        ctx.authorize(action, role_arn, context=keys, resource_policy=session.trust)
    except ServiceError as exc:
        if exc.code != "AccessDenied":
            raise
        raise _denied(ctx, action, role_arn) from exc


@handler("sts", "AssumeRole")
def assume_role(ctx: CallContext) -> dict[str, Any]:
    req = SessionRequest.from_params(ctx.params)
    validate_request(req)
    caller = ctx.caller
    if caller.kind == "root":
        raise ServiceError("AccessDenied", "Roles may not be assumed by root accounts.", 403)
    store = ctx.app.store
    role = find_role(store, req.role_arn)
    if role is None:  # indistinguishable from a trust policy that does not allow the caller
        ctx.decisions.append(AuthzRecord("sts:AssumeRole", req.role_arn, "implicit_deny", None))
        raise _denied(ctx, "sts:AssumeRole", req.role_arn)
    session = prepare_session(store, role, req, caller_session=caller.session,
                              chained=caller.kind == "assumed-role")
    _authorize(ctx, "sts:AssumeRole", session)
    if session.tagging:
        _authorize(ctx, "sts:TagSession", session)
    if req.source_identity is not None:
        _authorize(ctx, "sts:SetSourceIdentity", session)
    return issue_session(ctx.app.tokens, session).sts_output()
