"""Public data model of `podid.iam`: requests, policy sets, decisions, findings, compiled policies.

Owns the immutable value types of the contract in docs/architecture.md (`Request`, `PolicySet`,
`StatementRef`, `Decision`, `Finding`, `PolicyKind`) and the compiled, indexed form of a policy
(`Policy`, `Statement`) that the parser builds once and the evaluator reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from podid.iam.conditions import CondTest
from podid.iam.principals import PrincipalSpec
from podid.iam.resources import ActionSet, ResourceSet

PolicyKind = Literal["identity", "resource", "boundary", "session", "scp", "rcp", "trust"]
POLICY_KINDS: tuple[PolicyKind, ...] = ("identity", "resource", "boundary", "session", "scp", "rcp", "trust")
PrincipalType = Literal["AWS", "Service", "Federated", "CanonicalUser"]
Outcome = Literal["allowed", "implicit_deny", "explicit_deny"]


@dataclass(frozen=True)
class Finding:
    """A validation/lint result. `line`/`column` are 1-based source positions when known."""

    severity: Literal["error", "warning", "info"]
    code: str
    message: str
    location: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class Request:
    """One authorization request. Context key names are case-insensitive; a str value is
    single-valued, a list/tuple multivalued."""

    principal: str
    action: str
    resource: str = "*"
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    resource_account: str | None = None
    principal_type: PrincipalType = "AWS"
    # derived once per request (not part of equality)
    _ctx: Mapping[str, str | Sequence[str]] = field(init=False, repr=False, compare=False)
    _action: str = field(init=False, repr=False, compare=False)
    _service: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ctx: dict[str, str | Sequence[str]] = {}
        for k, v in self.context.items():
            if isinstance(v, str):
                ctx[k.lower()] = v
            else:
                ctx[k.lower()] = tuple(str(x) for x in v)
        object.__setattr__(self, "_ctx", ctx)
        action = self.action.lower()
        object.__setattr__(self, "_action", action)
        object.__setattr__(self, "_service", action.partition(":")[0])


@dataclass(frozen=True)
class StatementRef:
    """Which statement decided: policy kind and name, index in Statement, Sid, Effect."""

    kind: PolicyKind
    policy: str
    index: int
    sid: str | None
    effect: str


class Decision(NamedTuple):
    """The judge's answer: the outcome, the statements that decided it, and where a deny came from.

    Immutable; a NamedTuple rather than a frozen dataclass because one is built per decision and
    a frozen dataclass's ``__init__`` costs twice as much."""

    outcome: Outcome
    deciding: tuple[StatementRef, ...]
    denied_in: PolicyKind | None

    @property
    def allowed(self) -> bool:
        return self.outcome == "allowed"


@dataclass(frozen=True, eq=False)
class Statement:
    """A compiled statement."""

    index: int
    sid: str | None
    effect: str  # "Allow" | "Deny"
    ref: StatementRef
    actions: ActionSet
    resources: ResourceSet | None  # None: no Resource/NotResource (trust policies)
    principal: PrincipalSpec | None
    not_principal: PrincipalSpec | None
    conditions: tuple[CondTest, ...]
    raw: Mapping[str, Any]

    @property
    def is_deny(self) -> bool:
        return self.effect == "Deny"


_ACTION_MEMO = 512   # distinct actions remembered per policy


@dataclass(frozen=True, eq=False)
class Policy:
    """A validated, compiled, immutable policy; reusable across requests and threads."""

    name: str
    kind: PolicyKind
    version: str  # "2012-10-17" or "2008-10-17" (also when Version is absent)
    id: str | None
    statements: tuple[Statement, ...]
    document: Mapping[str, Any]
    size: int  # characters excluding whitespace
    _by_service: Mapping[str, tuple[Statement, ...]] = field(repr=False)
    _generic: tuple[Statement, ...] = field(repr=False)

    _by_action: dict[str, tuple[Statement, ...]] = field(default_factory=dict, repr=False, compare=False)

    def candidates(self, service: str) -> tuple[Statement, ...]:
        """Statements whose Action/NotAction may match an action of `service` (lower-case)."""
        return self._by_service.get(service, self._generic)

    def for_action(self, action: str, service: str) -> tuple[Statement, ...]:
        """Statements whose Action/NotAction matches `action` (lower-case, of `service`).

        Memoised per policy (action matching depends on nothing else); bounded, and safe across
        threads (a race computes the same tuple twice)."""
        hit = self._by_action.get(action)
        if hit is None:
            hit = tuple(s for s in self._by_service.get(service, self._generic) if s.actions.matches(action))
            if len(self._by_action) < _ACTION_MEMO:
                self._by_action[action] = hit
        return hit

    @property
    def has_variables(self) -> bool:
        return self.version == "2012-10-17"


@dataclass(frozen=True)
class PolicySet:
    """All policies that apply to one request (see docs/architecture.md)."""

    identity: Sequence[Policy] = ()
    resource: Policy | None = None
    boundary: Sequence[Policy] | None = None
    session: Sequence[Policy] | None = None
    scp: Sequence[Policy] | None = None
    rcp: Sequence[Policy] | None = None
