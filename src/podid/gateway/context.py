"""Who is calling (`Caller`) and everything a handler gets for one call (`CallContext`).

Handlers receive a :class:`CallContext`; they call :meth:`CallContext.authorize` for each IAM
action the operation needs (it raises ``ServiceError(AccessDenied...)``) and return the output
shape as a dict. They never see HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from podid.gateway.authz import AuthzRecord, authorize

if TYPE_CHECKING:
    from podid.auth.tokens import SessionContext
    from podid.gateway.state import AppState


@dataclass(frozen=True)
class Caller:
    """The authenticated principal of a request."""

    arn: str              # arn:aws:iam::ACCT:user/NAME | arn:aws:sts::ACCT:assumed-role/ROLE/SESSION
    account: str
    user_id: str          # AIDA... for users, AROA...:SESSION for role sessions
    kind: Literal["user", "assumed-role", "root", "anonymous"]
    access_key_id: str | None
    session: SessionContext | None = None
    user_name: str | None = None

    @property
    def policy_principal(self) -> str:
        """The ARN whose attached policies apply: the role for a role session, else the caller."""
        if self.session is not None and self.session.role_arn:
            return self.session.role_arn
        return self.arn

    @classmethod
    def anonymous(cls, account: str) -> Caller:
        return cls(arn="*", account=account, user_id="anonymous", kind="anonymous", access_key_id=None)


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
