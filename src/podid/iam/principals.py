"""Principal and NotPrincipal: compile the element, parse the caller, match the two.

Owns how a resource-based (or trust) policy names its principals and how strongly a match binds:

* `DIRECT`  -- the user ARN, the assumed-role session ARN, a federated-user ARN, or a Service /
  Federated / CanonicalUser principal: the grant stands alone in the same account (not limited by
  identity policies, permissions boundary or session policy).
* `ROLE`    -- the role ARN (matches every session of that role): grants without an identity
  policy in the same account, still limited by boundary and session policy. "*" / {"AWS": "*"}
  names the caller's own session too and so grants like DIRECT (ROLE for a bare role caller).
* `ACCOUNT` -- the account ("111122223333" or "arn:aws:iam::111122223333:root"): delegates to the
  account, so the caller's identity policies must allow.

NotPrincipal excludes a caller only when the caller's account AND the caller itself (its user ARN,
its session ARN or its role ARN) are both listed -- AWS checks the account, then the role, then the
session (IAM User Guide, "NotPrincipal").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NONE, ACCOUNT, ROLE, DIRECT = 0, 1, 2, 3

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_AWS_PRINCIPAL = re.compile(
    r"^arn:aws[a-zA-Z-]*:(?:iam::\d{12}:(?:root|user/.+|role/.+|federated-user/.+)"
    r"|sts::\d{12}:(?:assumed-role/[^/]+/.+|federated-user/.+))$"
)
_UNIQUE_ID = re.compile(r"^A[A-Z0-9]{15,}$")
PRINCIPAL_KEYS = ("AWS", "Service", "Federated", "CanonicalUser")


@dataclass(frozen=True, slots=True)
class Caller:
    """The request's principal, parsed once."""

    arn: str
    principal_type: str
    account: str | None
    kind: str  # "user" | "role" | "session" | "root" | "federated-user" | "other"
    role_key: tuple[str, str, str] | None  # (partition, account, role name) for roles/sessions


def parse_caller(arn: str, principal_type: str = "AWS") -> Caller:
    if principal_type != "AWS":
        return Caller(arn, principal_type, None, "other", None)
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return Caller(arn, principal_type, None, "other", None)
    partition, service, account, res = parts[1], parts[2], parts[4], parts[5]
    if service == "iam":
        if res == "root":
            return Caller(arn, principal_type, account, "root", None)
        if res.startswith("user/"):
            return Caller(arn, principal_type, account, "user", None)
        if res.startswith("role/"):
            return Caller(arn, principal_type, account, "role", (partition, account, res.rsplit("/", 1)[1]))
    elif service == "sts":
        if res.startswith("assumed-role/"):
            bits = res.split("/")
            if len(bits) >= 3:
                return Caller(arn, principal_type, account, "session", (partition, account, bits[1]))
        if res.startswith("federated-user/"):
            return Caller(arn, principal_type, account, "federated-user", None)
    return Caller(arn, principal_type, account or None, "other", None)


class PrincipalSpec:
    """A compiled Principal or NotPrincipal element."""

    __slots__ = ("any", "aws_any", "accounts", "arns", "role_keys", "others")

    def __init__(self, value: Any) -> None:
        self.any = value == "*"
        self.aws_any = False
        self.accounts: set[str] = set()
        self.arns: set[str] = set()
        self.role_keys: set[tuple[str, str, str]] = set()
        self.others: dict[str, set[str]] = {"Service": set(), "Federated": set(), "CanonicalUser": set()}
        if isinstance(value, Mapping):
            for key, vals in value.items():
                for v in [vals] if isinstance(vals, str) else vals:
                    if key == "AWS":
                        self._add_aws(v)
                    else:
                        self.others[key].add(v)

    def _add_aws(self, v: str) -> None:
        if v == "*":
            self.aws_any = True
        elif _ACCOUNT_ID.match(v):
            self.accounts.add(v)
        elif v.startswith("arn:"):
            parts = v.split(":", 5)
            if parts[2] == "iam" and parts[5] == "root":
                self.accounts.add(parts[4])
                return
            self.arns.add(v)
            if parts[2] == "iam" and parts[5].startswith("role/"):
                self.role_keys.add((parts[1], parts[4], parts[5].rsplit("/", 1)[1]))

    def grant(self, caller: Caller) -> int:
        """How strongly this Principal names the caller (NONE, ACCOUNT, ROLE, DIRECT)."""
        if caller.principal_type != "AWS":
            if self.any or caller.arn in self.others.get(caller.principal_type, ()):
                return DIRECT
            return NONE
        # "*" names every principal, the caller's own session included: like the reference
        # evaluator, it grants as directly as naming the session ARN (docs/decisions.md).
        best = (ROLE if caller.kind == "role" else DIRECT) if (self.any or self.aws_any) else NONE
        if caller.arn in self.arns:
            return ROLE if caller.kind == "role" else DIRECT
        if caller.role_key is not None and caller.role_key in self.role_keys:
            best = max(best, ROLE)
        if caller.account is not None and caller.account in self.accounts:
            best = max(best, ACCOUNT)
        return best

    def excludes(self, caller: Caller) -> bool:
        """NotPrincipal: is the caller one of the excepted principals?"""
        if self.any:
            return True
        if caller.principal_type != "AWS":
            return caller.arn in self.others.get(caller.principal_type, ())
        if self.aws_any:
            return True
        if caller.account is None or caller.account not in self.accounts:
            return False
        if caller.kind == "root":
            return True
        if caller.arn in self.arns:
            return True
        return caller.role_key is not None and caller.role_key in self.role_keys


def valid_aws_principal(v: str) -> bool:
    return v == "*" or bool(_ACCOUNT_ID.match(v) or _AWS_PRINCIPAL.match(v) or _UNIQUE_ID.match(v))
