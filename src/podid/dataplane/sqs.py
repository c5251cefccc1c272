"""SQS: queue URL / name -> queue ARN, batch operations -> their single-message actions."""

from __future__ import annotations

from urllib.parse import urlsplit

from podid.dataplane.kit import (
    CORAL_ACCESS_DENIED,
    AuthzItem,
    Context,
    DataplaneRequest,
    Lookup,
    PolicyParam,
    ServiceSpec,
    action_for,
    owner,
    request_tag_context,
    tag_context,
    tag_list,
)

IAM_PREFIX = "sqs"

#: Operations whose IAM action is not ``sqs:<Operation>`` (batches are authorized per action).
ACTIONS: dict[str, str] = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}

GLOBAL_OPS = frozenset({"ListQueues", "ListMessageMoveTasks", "CancelMessageMoveTask"})


def queue_arn(region: str, account: str, name: str) -> str:
    """``arn:aws:sqs:R:A:queue``"""
    return f"arn:aws:sqs:{region}:{account}:{name}"


def parse_queue_url(url: str, default_account: str) -> tuple[str, str]:
    """``https://host/ACCOUNT/NAME`` -> (account, name)."""
    parts = [x for x in urlsplit(url).path.split("/") if x]
    if len(parts) >= 2:
        return parts[-2], parts[-1]
    if parts:
        return default_account, parts[-1]
    return default_account, url


def items(req: DataplaneRequest, lookup: Lookup) -> list[AuthzItem]:
    """Authorization items for one SQS call."""
    op, p = req.operation, req.params
    action = action_for(IAM_PREFIX, op, ACTIONS)
    if op in GLOBAL_OPS:
        return [AuthzItem(action, "*", {})]
    ctx: Context = {}
    if op in ("CreateQueue", "GetQueueUrl"):
        account = str(p.get("QueueOwnerAWSAccountId") or req.account)
        name = str(p.get("QueueName", ""))
        if op == "CreateQueue":
            request_tag_context(ctx, tag_list(p.get("tags")))
    elif op == "StartMessageMoveTask":
        arn = str(p.get("SourceArn", ""))
        parts = arn.split(":")
        account, name = (parts[4], parts[5]) if len(parts) >= 6 else (req.account, arn)
    else:
        account, name = parse_queue_url(str(p.get("QueueUrl", "")), req.account)
    if op == "TagQueue":
        request_tag_context(ctx, tag_list(p.get("Tags")))
    elif op == "UntagQueue":
        ctx["aws:TagKeys"] = [str(k) for k in p.get("TagKeys") or []]
    if op != "CreateQueue" and account == req.account:
        tag_context(ctx, lookup.sqs_tags(req.region, name))
    return [AuthzItem(action, queue_arn(req.region, account, name), ctx,
                      owner(account, lambda: lookup.sqs_policy(req.region, name)))]


SPEC = ServiceSpec(
    scope="sqs", botocore="sqs", iam_prefix=IAM_PREFIX, moto="sqs", items=items,
    access_denied=("AccessDenied", 403),
    denial_type=CORAL_ACCESS_DENIED, denial_message_member="message",
    actions=ACTIONS, policy_name="queue policy",
    policy_params={
        "SetQueueAttributes": PolicyParam(("Attributes", "Policy"), "InvalidAttributeValue"),
        "CreateQueue": PolicyParam(("Attributes", "Policy"), "InvalidAttributeValue"),
    },
)
