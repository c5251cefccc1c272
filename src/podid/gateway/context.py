"""Everything a handler gets for one call (`CallContext`); who is calling is
:class:`podid.auth.caller.Caller`.

Handlers receive a :class:`CallContext`; they call :meth:`CallContext.authorize` for each IAM
action the operation needs (it raises ``ServiceError(AccessDenied...)``) and return the output
shape as a dict. They never see HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from podid.auth.caller import Caller
from podid.gateway.authz import AuthzRecord, authorize

if TYPE_CHECKING:
    from podid.gateway.state import AppState


@dataclass
class CallContext:
    """One AWS call as a handler sees it."""

    service: str
    operation: str
    params: dict[str, Any]
    caller: Caller
    region: str
    request_id: str
    source_ip: str
    app: AppState
    secure_transport: bool = False
    user_agent: str = ""
    decisions: list[AuthzRecord] = field(default_factory=list)
    audit_extra: dict[str, Any] = field(default_factory=dict)   # merged into the audit event's "podid"

    def authorize(
        self,
        action: str,
        resource: str,
        *,
        context: Mapping[str, Any] | None = None,
        resource_policy: Any = None,
        resource_account: str | None = None,
    ) -> None:
        """Judge ``action`` on ``resource`` for the caller; raises ServiceError(AccessDenied...)."""
        authorize(self, action, resource, context=context or {}, resource_policy=resource_policy,
                  resource_account=resource_account)
