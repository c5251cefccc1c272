"""SimulatePrincipalPolicy and SimulateCustomPolicy, answered by the judge (`podid.iam.evaluate`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from podid.errors import ServiceError
from podid.gateway.context import CallContext
from podid.iam import Decision, Policy, PolicyError, PolicySet, Request, evaluate, parse_policy
from podid.iam.jsonpos import loads as json_positions
from podid.iamapi.common import account, iam_op, policy_error, required, store, validation
from podid.store import errors
from podid.store.policies import parse_principal_arn

DECISIONS = {"allowed": "allowed", "implicit_deny": "implicitDeny", "explicit_deny": "explicitDeny"}


@dataclass
class _Sources:
    """Compiled policies for one simulation plus, per policy name, (SourcePolicyType, document)."""

    identity: list[Policy] = field(default_factory=list)
    boundary: list[Policy] | None = None
    resource: Policy | None = None
    meta: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(self, doc: str, name: str, source_type: str, kind: str, *, strict: bool) -> Policy | None:
        try:
            policy = parse_policy(doc, kind=kind, name=name)  # type: ignore[arg-type]
        except PolicyError as exc:
            if strict:
                raise policy_error(exc) from None
            return None  # a stored document the judge cannot compile grants nothing
        self.meta[name] = (source_type, doc)
        return policy


def _input_list(src: _Sources, params: dict[str, Any], key: str, kind: str) -> list[Policy]:
    out = []
    for i, doc in enumerate(params.get(key) or [], start=1):
        p = src.add(doc, f"{key}.{i}", "IAM Policy", kind, strict=True)
        assert p is not None
        out.append(p)
    return out


def _context(params: dict[str, Any]) -> dict[str, Any]:
    ctx: dict[str, Any] = {}
    for entry in params.get("ContextEntries") or []:
        name = entry.get("ContextKeyName")
        values = [str(v) for v in entry.get("ContextKeyValues") or []]
        if not name:
            continue
        if str(entry.get("ContextKeyType", "string")).endswith("List"):
            ctx[name] = values
        elif values:
            ctx[name] = values[0]
    return ctx


def _position(doc: str, index: int) -> dict[str, Any]:
    try:
        _, positions = json_positions(doc)
    except ValueError:
        return {}
    pos = positions.at(("Statement", index)) or positions.at(("Statement",))
    return {"StartPosition": {"Line": pos[0], "Column": pos[1]}} if pos else {}


def _matched(src: _Sources, decision: Decision) -> list[dict[str, Any]]:
    out = []
    for ref in decision.deciding:
        source_type, doc = src.meta.get(ref.policy, ("none", ""))
        item: dict[str, Any] = {"SourcePolicyId": ref.policy, "SourcePolicyType": source_type}
        item.update(_position(doc, ref.index) if doc else {})
        out.append(item)
    return out


def _simulate(ctx: CallContext, src: _Sources, principal: str) -> dict[str, Any]:
    p = ctx.params
    actions = required(p, "ActionNames")
    if not actions:
        raise validation("[]", "actionNames", "Member must have length greater than or equal to 1")
    resources = p.get("ResourceArns") or ["*"]
    owner = p.get("ResourceOwner")
    owner_account = owner.split(":")[4] if owner and owner.count(":") >= 5 else None
    keys = _context(p)
    policies = PolicySet(identity=tuple(src.identity), resource=src.resource, boundary=src.boundary)
    results = []
    for action in actions:
        for resource in resources:
            request = Request(
                principal=principal,
                action=action,
                resource=resource,
                context=keys,
                resource_account=owner_account,
            )
            decision = evaluate(request, policies)
            result: dict[str, Any] = {
                "EvalActionName": action,
                "EvalResourceName": resource,
                "EvalDecision": DECISIONS[decision.outcome],
                "MatchedStatements": _matched(src, decision),
                "MissingContextValues": [],
            }
            if src.boundary is not None:
                result["PermissionsBoundaryDecisionDetail"] = {
                    "AllowedByPermissionsBoundary": decision.denied_in != "boundary"
                }
            if src.resource is not None:
                result["EvalDecisionDetails"] = {"resource": DECISIONS[decision.outcome]}
            results.append(result)
    max_items = int(p.get("MaxItems") or 1000)
    start = int(p.get("Marker") or 0)
    chunk = results[start : start + max_items]
    out: dict[str, Any] = {"EvaluationResults": chunk, "IsTruncated": start + len(chunk) < len(results)}
    if out["IsTruncated"]:
        out["Marker"] = str(start + len(chunk))
    return out


def _resource_policy(src: _Sources, params: dict[str, Any]) -> None:
    doc = params.get("ResourcePolicy")
    if doc:
        src.resource = src.add(doc, "ResourcePolicy", "resource", "resource", strict=True)


@iam_op("SimulatePrincipalPolicy")
def simulate_principal_policy(ctx: CallContext) -> dict[str, Any]:
    p = ctx.params
    arn = required(p, "PolicySourceArn")
    ctx.authorize("iam:SimulatePrincipalPolicy", arn)
    parsed = parse_principal_arn(arn)
    if parsed is None or not arn.startswith("arn:aws:iam::"):
        raise ServiceError("InvalidInput", f"Invalid ARN: {arn}", 400)
    acct, kind, name = parsed
    if acct != account(ctx):
        raise errors.no_role(name) if kind == "role" else errors.no_user(name)
    pp = store(ctx).principal_policies(arn)
    if not pp.found:
        raise errors.no_role(name) if kind == "role" else errors.no_user(name)
    src = _Sources()
    for s in pp.identity:
        source_type: str
        if s.origin == "inline":
            source_type = kind
        else:
            source_type = "aws-managed" if (s.arn or "").startswith("arn:aws:iam::aws:") else "user-managed"
        compiled = src.add(s.document, s.name, source_type, "identity", strict=False)
        if compiled is not None:
            src.identity.append(compiled)
    src.identity += _input_list(src, p, "PolicyInputList", "identity")
    if p.get("PermissionsBoundaryPolicyInputList"):
        src.boundary = _input_list(src, p, "PermissionsBoundaryPolicyInputList", "boundary")
    elif pp.boundary is not None:
        b = src.add(pp.boundary.document, pp.boundary.name, "none", "boundary", strict=False)
        src.boundary = [b] if b is not None else []
    _resource_policy(src, p)
    return _simulate(ctx, src, p.get("CallerArn") or arn)


@iam_op("SimulateCustomPolicy")
def simulate_custom_policy(ctx: CallContext) -> dict[str, Any]:
    p = ctx.params
    required(p, "PolicyInputList")
    ctx.authorize("iam:SimulateCustomPolicy", "*")
    src = _Sources()
    src.identity = _input_list(src, p, "PolicyInputList", "identity")
    if p.get("PermissionsBoundaryPolicyInputList"):
        src.boundary = _input_list(src, p, "PermissionsBoundaryPolicyInputList", "boundary")
    _resource_policy(src, p)
    return _simulate(ctx, src, p.get("CallerArn") or ctx.caller.policy_principal)
