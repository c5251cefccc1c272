"""STS GetCallerIdentity: who the caller is, exactly as AWS reports it.

AWS never authorizes this call (an explicit Deny on ``sts:GetCallerIdentity`` has no effect), so
neither does podid. Users: ``UserId`` is the ``AIDA...`` unique id; role sessions:
``AROA...:session-name`` and ``Arn`` is the ``assumed-role`` session ARN.
"""

from __future__ import annotations

from typing import Any

from podid.gateway.context import CallContext
from podid.gateway.registry import handler


@handler("sts", "GetCallerIdentity")
def get_caller_identity(ctx: CallContext) -> dict[str, Any]:
    caller = ctx.caller
    user_id = caller.account if caller.kind == "root" else caller.user_id
    return {"UserId": user_id, "Account": caller.account, "Arn": caller.arn}
