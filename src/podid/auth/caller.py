"""Who is calling: the authenticated principal of one request (:class:`Caller`).

It sits in ``podid.auth`` (below the gateway) because authentication produces it and every layer
above reads it: the gateway, the audit log, handlers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from podid.auth.tokens import SessionContext


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
