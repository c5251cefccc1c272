"""The judge: `evaluate(Request, PolicySet) -> Decision`, AWS's documented evaluation logic.

Owns the combination of policy kinds (IAM User Guide "Policy evaluation logic", "Cross-account
policy evaluation logic", "Session policies", "Permissions boundaries", KMS "Key policies"):

1. Any matching Deny in any policy (identity, resource, boundary, session, SCP, RCP) -> explicit
   deny. A Deny with NotPrincipal always applies to a principal that has a permissions boundary.
2. RCPs and SCPs (one level each): at least one must allow -> else implicit deny there.
3. Same account: allowed when the resource policy names the user / session ARN (DIRECT), or names
   the role ARN (ROLE) and the boundary and session policy allow, or an identity policy
   allows and the boundary and session policy allow. A resource policy naming only the account
   delegates to identity policies. KMS key policies and role trust policies must always allow
   (naming the principal, or the account, which then needs an identity-policy allow).
4. Cross account (resource_account differs from the caller's): the resource policy must allow AND
   an identity policy must allow (limited by boundary and session policy).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from podid.iam.model import Decision, Policy, PolicyKind, PolicySet, Request, Statement, StatementRef
from podid.iam.principals import ACCOUNT, DIRECT, NONE, ROLE, Caller, parse_caller

Context = Mapping[str, str | Sequence[str]]

_EXPLICIT_ORDER: tuple[PolicyKind, ...] = (
    "rcp",
    "scp",
    "resource",
    "trust",
    "identity",
    "boundary",
    "session",
)
_ORDER_INDEX = {k: i for i, k in enumerate(_EXPLICIT_ORDER)}


def _applies(stmt: Statement, action: str, resource: str, ctx: Context) -> bool:
    """Action, Resource and Condition of a statement (principal checked separately)."""
    if not stmt.actions.matches(action):
        return False
    res = stmt.resources
    if res is not None and not res.any and not res.matches(resource, ctx):
        return False
    if res is not None and res.any and res.negated:
        return False
    for test in stmt.conditions:  # noqa: SIM110 - a plain loop is faster on the hot path
        if not test.evaluate(ctx):
            return False
    return True


def _ref(stmt: Statement, kind: PolicyKind) -> StatementRef:
    """The statement's ref, labelled with the role its policy plays in this PolicySet (a managed
    policy parsed as "identity" can also serve as a permissions boundary)."""
    ref = stmt.ref
    return ref if ref.kind == kind else replace(ref, kind=kind)


def _scan(
    policies: Sequence[Policy], kind: PolicyKind, req: Request, denies: list[StatementRef]
) -> list[StatementRef]:
    """Allow refs of `policies` (which ignore Principal); Deny refs go to `denies`."""
    allows: list[StatementRef] = []
    action, service, resource, ctx = req._action, req._service, req.resource, req._ctx
    for policy in policies:
        for stmt in policy.for_action(action, service):   # _applies, inlined: the hottest loop
            res = stmt.resources
            if res is not None and (res.negated if res.any else not res.matches(resource, ctx)):
                continue
            for test in stmt.conditions:   # a plain loop: all(genexpr) costs a generator per statement
                if not test.evaluate(ctx):
                    break
            else:
                ref = stmt.ref             # _ref, inlined
                if ref.kind != kind:
                    ref = replace(ref, kind=kind)
                (denies if stmt.effect == "Deny" else allows).append(ref)
    return allows


def _scan_resource(
    policy: Policy, req: Request, caller: Caller, bounded: bool, denies: list[StatementRef]
) -> tuple[int, list[StatementRef]]:
    """Best principal grant among matching Allow statements, and their refs."""
    kind: PolicyKind = "trust" if policy.kind == "trust" else "resource"
    best = NONE
    allows: list[StatementRef] = []
    action, service, resource, ctx = req._action, req._service, req.resource, req._ctx
    for stmt in policy.candidates(service):
        if stmt.not_principal is not None:
            if stmt.effect == "Deny":
                if not bounded and stmt.not_principal.excludes(caller):
                    continue
                grant = DIRECT
            else:
                if stmt.not_principal.excludes(caller):
                    continue
                grant = ROLE
        elif stmt.principal is not None:
            grant = stmt.principal.grant(caller)
            if grant == NONE:
                continue
        else:
            continue
        if not _applies(stmt, action, resource, ctx):
            continue
        if stmt.effect == "Deny":
            denies.append(_ref(stmt, kind))
        else:
            allows.append(_ref(stmt, kind))
            best = max(best, grant)
    return best, allows


def _allowed(identity: list[StatementRef], resource: list[StatementRef],
             *limits: list[StatementRef] | None) -> Decision:
    """The Allow decision with every statement that took part."""
    refs = identity + resource
    for extra in limits:
        if extra:
            refs.extend(extra)
    return Decision("allowed", tuple(refs), None)


def evaluate(request: Request, policies: PolicySet) -> Decision:
    """Decide `request` against every policy that applies to it."""
    denies: list[StatementRef] = []
    if (policies.resource is None and policies.boundary is None and policies.session is None
            and policies.scp is None and policies.rcp is None and request.resource_account is None):
        # identity policies alone (the common case): the general logic below reduces to this
        allows = _scan(policies.identity, "identity", request, denies)
        if denies:
            return Decision("explicit_deny", tuple(denies), "identity")
        if allows:
            return Decision("allowed", tuple(allows), None)
        return Decision("implicit_deny", (), "identity")
    identity_allows = _scan(policies.identity, "identity", request, denies)
    boundary_allows = (
        _scan(policies.boundary, "boundary", request, denies) if policies.boundary is not None else None
    )
    session_allows = (
        _scan(policies.session, "session", request, denies) if policies.session is not None else None
    )
    scp_allows = _scan(policies.scp, "scp", request, denies) if policies.scp is not None else None
    rcp_allows = _scan(policies.rcp, "rcp", request, denies) if policies.rcp is not None else None
    rp = policies.resource
    caller: Caller | None = None
    grant = NONE
    resource_allows: list[StatementRef] = []
    if rp is not None:
        caller = parse_caller(request.principal, request.principal_type)
        grant, resource_allows = _scan_resource(rp, request, caller, policies.boundary is not None, denies)

    if denies:
        denies.sort(key=lambda r: _ORDER_INDEX.get(r.kind, 99))
        return Decision("explicit_deny", tuple(denies), denies[0].kind)
    if rcp_allows is not None and not rcp_allows:
        return Decision("implicit_deny", (), "rcp")
    if scp_allows is not None and not scp_allows:
        return Decision("implicit_deny", (), "scp")

    boundary_ok = boundary_allows is None or bool(boundary_allows)
    session_ok = session_allows is None or bool(session_allows)
    limits_ok = boundary_ok and session_ok
    identity_ok = bool(identity_allows)

    limit_failure: PolicyKind = "boundary" if not boundary_ok else "session"

    # cross-account?
    cross = False
    if request.resource_account is not None:
        if caller is None:
            caller = parse_caller(request.principal, request.principal_type)
        cross = caller.account is not None and caller.account != request.resource_account

    rp_kind: PolicyKind = rp.kind if rp is not None and rp.kind == "trust" else "resource"
    if cross:
        if not identity_ok:
            return Decision("implicit_deny", (), "identity")
        if not limits_ok:
            return Decision("implicit_deny", (), limit_failure)
        if grant == NONE:
            return Decision("implicit_deny", (), rp_kind)
        return _allowed(identity_allows, resource_allows, boundary_allows, session_allows, scp_allows,
                        rcp_allows)

    strict = rp is not None and (rp.kind == "trust" or request._service == "kms")
    if grant == DIRECT:
        return _allowed(identity_allows, resource_allows, boundary_allows, session_allows, scp_allows,
                        rcp_allows)
    if grant == ROLE:
        if limits_ok:
            return _allowed(identity_allows, resource_allows, boundary_allows, session_allows, scp_allows,
                        rcp_allows)
        return Decision("implicit_deny", (), limit_failure)
    if strict and grant == NONE:
        return Decision("implicit_deny", (), rp_kind)
    # grant is ACCOUNT (delegation) or NONE on an ordinary resource: identity policies decide
    if not identity_ok:
        return Decision("implicit_deny", (), "identity")
    if not limits_ok:
        return Decision("implicit_deny", (), limit_failure)
    assert grant in (ACCOUNT, NONE)
    return _allowed(identity_allows, resource_allows, boundary_allows, session_allows, scp_allows,
                        rcp_allows)
