"""CloudWatch Logs: log-group / log-stream ARNs and tag keys."""

from __future__ import annotations

from podid.dataplane.kit import (
    AuthzItem,
    Context,
    DataplaneRequest,
    Lookup,
    ServiceSpec,
    action_for,
    owner,
    request_tag_context,
    tag_context,
    tag_list,
)

IAM_PREFIX = "logs"

#: Operations whose IAM action is not ``logs:<Operation>``.
ACTIONS: dict[str, str] = {}


def group_arn(region: str, account: str, group: str) -> str:
    """``arn:aws:logs:R:A:log-group:G``"""
    return f"arn:aws:logs:{region}:{account}:log-group:{group}"


def stream_arn(region: str, account: str, group: str, stream: str) -> str:
    """``arn:aws:logs:R:A:log-group:G:log-stream:S``"""
    return f"{group_arn(region, account, group)}:log-stream:{stream}"


def _group_name(ident: str) -> str:
    if ident.startswith("arn:") and ":log-group:" in ident:
        name = ident.split(":log-group:", 1)[1]
        return name[:-2] if name.endswith(":*") else name
    return ident


def items(req: DataplaneRequest, lookup: Lookup) -> list[AuthzItem]:
    """Authorization items for one CloudWatch Logs call."""
    op, p = req.operation, req.params
    action = action_for(IAM_PREFIX, op, ACTIONS)
    ctx: Context = {}
    tags = p.get("tags") if op in ("CreateLogGroup", "TagLogGroup", "TagResource") else None
    request_tag_context(ctx, tag_list(tags))
    if op in ("UntagLogGroup", "UntagResource"):
        ctx["aws:TagKeys"] = [str(k) for k in p.get("tags") or p.get("tagKeys") or []]
    ident = p.get("logGroupName") or p.get("logGroupIdentifier")
    arn = str(p.get("resourceArn", ""))
    if ident is None and arn.startswith("arn:") and ":log-group:" in arn:
        ident = arn
    if ident is None:
        resource = str(p.get("resourceArn") or "*")
        return [AuthzItem(action, resource, ctx, owner(req.account) if resource != "*" else None)]
    group = _group_name(str(ident))
    if op != "CreateLogGroup":
        tag_context(ctx, lookup.logs_group_tags(req.region, group))
    if p.get("logStreamName"):
        resource = stream_arn(req.region, req.account, group, str(p["logStreamName"]))
    else:
        resource = group_arn(req.region, req.account, group)
    return [AuthzItem(action, resource, ctx, owner(req.account))]


SPEC = ServiceSpec(
    scope="logs", botocore="logs", iam_prefix=IAM_PREFIX, moto="logs", items=items,
    access_denied=("AccessDeniedException", 400), actions=ACTIONS, policy_name="resource policy",
)
