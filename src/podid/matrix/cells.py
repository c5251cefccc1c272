"""Decide every cell: each catalogue action of each service, on each resource and on `*`, for each
identity, with the judge (identity policies + boundary + session policy + the resource's policy).

Pure: takes an Inventory, returns cells. The request is the one a pod's SDK call would make with
no request-specific condition keys: principal = a session of the role, the global keys a pod's
session always carries (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType,
aws:RequestedRegion, aws:PrincipalTag/* from the role's tags and, for pod identity, the EKS session
tags). A cell whose matching statement has a condition is marked `conditional`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from podid.iam import Decision, Policy, PolicyError, PolicySet, Request, StatementRef, evaluate, parse_policy
from podid.iam.catalogue import Action, Catalogue
from podid.matrix.model import Cell, Identity, Inventory, Resource, RolePolicies

ANY = "*"


@dataclass(frozen=True)
class Subject:
    """An identity with its compiled policies, the principal ARN and the request context."""

    identity: Identity
    principal: str
    policies: PolicySet
    context: dict[str, str]


def deciding_label(kind: str, policy: str, index: int, sid: str | None) -> str:
    """`identity:reader:Statement[0]:Sid` (the audit log's spelling)."""
    return f"{kind}:{policy}:Statement[{index}]" + (f":{sid}" if sid else "")


def subject(inv: Inventory, ident: Identity, role: RolePolicies) -> Subject:
    """Compile `role`'s policies for `ident` (PolicyError when one does not compile)."""
    role_name = role.role_arn.rsplit("/", 1)[-1]
    session = f"eks-{inv.cluster}-matrix" if ident.via == "pod-identity" else "botocore-session-matrix"
    principal = f"arn:aws:sts::{inv.account}:assumed-role/{role_name}/{session}"
    identity = tuple(parse_policy(doc, kind="identity", name=name) for name, doc in role.identity)
    boundary = (parse_policy(role.boundary[1], kind="boundary", name=role.boundary[0]),) \
        if role.boundary else None
    session_policies = (parse_policy(ident.session_policy, kind="session", name="association policy"),) \
        if ident.session_policy else None
    tags = dict(role.tags)
    if ident.via == "pod-identity" and ident.session_tags:
        tags.update({"eks-cluster-arn": f"arn:aws:eks:{inv.region}:{inv.account}:cluster/{inv.cluster}",
                     "eks-cluster-name": inv.cluster, "kubernetes-namespace": ident.namespace,
                     "kubernetes-service-account": ident.service_account})
    context = {"aws:PrincipalArn": role.role_arn, "aws:PrincipalAccount": inv.account,
               "aws:PrincipalType": "AssumedRole", "aws:RequestedRegion": inv.region}
    context.update({f"aws:PrincipalTag/{k}": v for k, v in tags.items()})
    return Subject(ident, principal, PolicySet(identity=identity, boundary=boundary,
                                               session=session_policies), context)


def _conditional(policies: Sequence[Policy], request: Request) -> bool:
    """Whether a statement matching the action and resource carries a Condition."""
    for policy in policies:
        for stmt in policy.for_action(request._action, request._service):
            if not stmt.conditions:
                continue
            res = stmt.resources
            if res is None or res.any or res.matches(request.resource, request._ctx):
                return True
    return False


def decide(sub: Subject, action: str, resource: str, rp: Policy | None,
           account: str | None) -> tuple[Request, PolicySet, Decision]:
    """The judge's decision for one cell (also used by tests to compare)."""
    request = Request(principal=sub.principal, action=action, resource=resource, context=sub.context,
                      resource_account=account)
    policies = sub.policies if rp is None else PolicySet(
        identity=sub.policies.identity, resource=rp, boundary=sub.policies.boundary,
        session=sub.policies.session)
    return request, policies, evaluate(request, policies)


Target = tuple[str, str, str, Resource | None]


def targets(cat: Catalogue, services: Sequence[str], resources: Sequence[Resource]) -> list[Target]:
    """(service, action, access level, resource or None for `*`) for the cells of one identity:
    every action on `*`, and on each resource the actions one of whose resource types it is."""
    out: list[Target] = []
    for service in services:
        svc = cat.service(service)
        if svc is None:
            continue
        actions = [a for n in svc.action_names if (a := svc.action(n)) is not None]
        out.extend((service, act.full_name, act.access_level, None) for act in actions)
        by_type: dict[str, list[Action]] = {}
        for act in actions:
            for ar in act.resources:
                if ar.type.arn:
                    by_type.setdefault(ar.type.name, []).append(act)
        for res in resources:
            if res.service != service:
                continue
            kinds = [rt.name for rt in svc.resource_types.values() if rt.arn and rt.matches(res.arn)]
            accepted = {id(a): a for k in kinds for a in by_type.get(k, ())}
            out.extend((service, a.full_name, a.access_level, res)
                       for a in actions if id(a) in accepted)
    return out


def compute(inv: Inventory, services: Sequence[str], *, catalogue: Catalogue | None = None) -> list[Cell]:
    """Every cell of the matrix; identities whose policies do not compile go to `inv.notes`."""
    cat = catalogue or Catalogue.load()
    cells: list[Cell] = []
    compiled: dict[str, Policy | None] = {}
    broken: set[str] = set()
    todo = targets(cat, services, inv.resources)
    labels: dict[StatementRef, str] = {}
    for ident in inv.identities:
        role = inv.roles.get(ident.role_arn)
        if role is None:
            continue
        try:
            sub = subject(inv, ident, role)
        except PolicyError as exc:
            inv.notes.append(f"{ident.key}: a policy of {ident.role_arn} does not compile ({exc.message})")
            continue
        limits = [*sub.policies.identity, *(sub.policies.boundary or ()), *(sub.policies.session or ())]
        for service, action, level, res in todo:
            rp = None
            if res is not None and res.policy:
                if res.arn not in compiled and res.arn not in broken:
                    compiled[res.arn] = _resource_policy(res, inv.notes, broken)
                if res.arn in broken:
                    continue      # fail closed: no cell rather than one judged without the policy
                rp = compiled[res.arn]
            arn = res.arn if res is not None else ANY
            request, _policies, d = decide(sub, action, arn, rp, res.account if res is not None else None)
            deciding = []
            for ref in d.deciding:
                label = labels.get(ref)
                if label is None:
                    label = labels[ref] = deciding_label(ref.kind, ref.policy, ref.index, ref.sid)
                deciding.append(label)
            cells.append(Cell(
                identity=ident.key, service=service, action=action, access_level=level, resource=arn,
                decision=d.outcome, deciding=tuple(deciding), denied_in=d.denied_in,
                conditional=_conditional(limits + [rp] if rp is not None else limits, request)))
    return cells


def _resource_policy(res: Resource, notes: list[str], broken: set[str]) -> Policy | None:
    try:
        return parse_policy(res.policy or "", kind="resource", name=res.policy_name)
    except PolicyError as exc:
        notes.append(f"{res.arn}: {res.policy_name} does not compile ({exc.message}); no cells for it")
        broken.add(res.arn)
        return None
