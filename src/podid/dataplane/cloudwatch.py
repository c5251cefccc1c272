"""CloudWatch (SigV4 scope ``monitoring``, IAM prefix ``cloudwatch``): metrics, alarms, dashboards."""

from __future__ import annotations

from podid.dataplane.kit import (
    CORAL_ACCESS_DENIED,
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

IAM_PREFIX = "cloudwatch"

#: Operations whose IAM action is not ``cloudwatch:<Operation>``.
ACTIONS: dict[str, str] = {}

ALARM_OPS = frozenset({"PutMetricAlarm", "PutCompositeAlarm", "SetAlarmState", "DescribeAlarmHistory",
                       "PutLogAlarm", "DescribeAlarmContributors"})
ALARM_LIST_OPS = frozenset({"DeleteAlarms", "EnableAlarmActions", "DisableAlarmActions"})


def alarm_arn(region: str, account: str, name: str) -> str:
    """``arn:aws:cloudwatch:R:A:alarm:NAME``"""
    return f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"


def dashboard_arn(account: str, name: str) -> str:
    """``arn:aws:cloudwatch::A:dashboard/NAME`` (dashboards are global)."""
    return f"arn:aws:cloudwatch::{account}:dashboard/{name}"


def items(req: DataplaneRequest, lookup: Lookup) -> list[AuthzItem]:
    """Authorization items for one CloudWatch call."""
    op, p = req.operation, req.params
    action = action_for(IAM_PREFIX, op, ACTIONS)
    ctx: Context = {}
    if op == "PutMetricData" and p.get("Namespace") is not None:
        ctx["cloudwatch:namespace"] = str(p["Namespace"])
    if op in ("PutMetricAlarm", "PutCompositeAlarm", "PutDashboard", "TagResource", "PutInsightRule",
              "PutMetricStream"):
        request_tag_context(ctx, tag_list(p.get("Tags")))
    if op == "UntagResource":
        ctx["aws:TagKeys"] = [str(k) for k in p.get("TagKeys") or []]

    def one(resource: str) -> AuthzItem:
        c = dict(ctx)
        if resource != "*" and op not in ("PutMetricAlarm", "PutCompositeAlarm"):
            tag_context(c, lookup.cloudwatch_tags(req.region, resource))
        return AuthzItem(action, resource, c, owner(req.account) if resource != "*" else None)

    if op in ALARM_OPS and p.get("AlarmName"):
        return [one(alarm_arn(req.region, req.account, str(p["AlarmName"])))]
    if op in ALARM_LIST_OPS:
        return [one(alarm_arn(req.region, req.account, str(n))) for n in p.get("AlarmNames") or []]
    if op in ("GetDashboard", "PutDashboard") and p.get("DashboardName"):
        return [one(dashboard_arn(req.account, str(p["DashboardName"])))]
    if op == "DeleteDashboards":
        return [one(dashboard_arn(req.account, str(n))) for n in p.get("DashboardNames") or []]
    if op in ("TagResource", "UntagResource", "ListTagsForResource") and p.get("ResourceARN"):
        return [one(str(p["ResourceARN"]))]
    return [AuthzItem(action, "*", ctx)]


SPEC = ServiceSpec(
    scope="monitoring", botocore="cloudwatch", iam_prefix=IAM_PREFIX, moto="cloudwatch", items=items,
    access_denied=("AccessDenied", 403),
    denial_type=CORAL_ACCESS_DENIED, denial_message_member="message",
    actions=ACTIONS, policy_name="resource policy",
)
