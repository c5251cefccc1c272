"""Policy questions answered by the judge (`podid.iam`): lint every document involved, simulate the
workload's S3 requests against the role's policies, simulate the trust policy for the workload's
identity path. Pure functions over documents already read (no I/O)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from podid.iam import (
    Decision,
    Policy,
    PolicyError,
    PolicyKind,
    PolicySet,
    Request,
    denial_message,
    evaluate,
    lint_policy,
    parse_policy,
)
from podid.verify.model import LintFinding

POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"


@dataclass(frozen=True)
class Probe:
    """One simulated request and the outcome the workload's intent wants."""

    action: str
    resource: str
    context: Mapping[str, str]
    want_allowed: bool


@dataclass(frozen=True)
class Verdict:
    probe: Probe
    decision: Decision
    evidence: str

    @property
    def as_intended(self) -> bool:
        return self.decision.allowed == self.probe.want_allowed


def lint_documents(docs: Sequence[tuple[str, Mapping[str, Any], PolicyKind]]) -> list[LintFinding]:
    out: list[LintFinding] = []
    for label, doc, kind in docs:
        for f in lint_policy(dict(doc), kind=kind, name=label):
            out.append(LintFinding(label, f.severity, f.code, f.message, f.location))
    return out


def compile_docs(docs: Sequence[tuple[str, Mapping[str, Any]]], kind: PolicyKind) -> list[Policy]:
    """Parse each document (PolicyError propagates: a broken document fails the check)."""
    return [parse_policy(dict(doc), kind=kind, name=label) for label, doc in docs]


def statement_text(policies: Sequence[Policy], decision: Decision) -> str:
    """The deciding statements, as ``<policy> Statement[i]: {json}``."""
    by_name = {p.name: p for p in policies}
    lines = []
    for ref in decision.deciding:
        policy = by_name.get(ref.policy)
        body: Any = None
        if policy is not None:
            stmts = policy.document.get("Statement")
            stmts = stmts if isinstance(stmts, list) else [stmts]
            body = stmts[ref.index] if ref.index < len(stmts) else None
        lines.append(f"{ref.policy} Statement[{ref.index}]: {json.dumps(body, sort_keys=True)}")
    return "; ".join(lines)


def simulate(principal: str, probes: Sequence[Probe], identity: Sequence[Policy],
             boundary: Sequence[Policy] | None = None, resource: Policy | None = None,
             principal_type: str = "AWS") -> list[Verdict]:
    policies = [*identity, *(boundary or ()), *([resource] if resource else [])]
    out = []
    for probe in probes:
        request = Request(principal=principal, action=probe.action, resource=probe.resource,
                          context=dict(probe.context), principal_type=principal_type)  # type: ignore[arg-type]
        decision = evaluate(request, PolicySet(identity=tuple(identity), boundary=boundary,
                                               resource=resource))
        ctx = "".join(f" {k}={v}" for k, v in probe.context.items())
        head = f"{probe.action} {probe.resource}{ctx} -> {decision.outcome}"
        if decision.allowed:
            why = statement_text(policies, decision) or "allowed"
        elif decision.deciding:
            why = statement_text(policies, decision)
        else:
            why = denial_message(request, decision)
        want = "allowed" if probe.want_allowed else "denied"
        out.append(Verdict(probe, decision, f"{head} (want {want}): {why}"))
    return out


def s3_probes(bucket: str, allowed: str | None, blocked: str | None) -> list[Probe]:
    """The seeds' S3 intent: list + read the allowed prefix; nothing under the blocked prefix; no
    other bucket."""
    arn = f"arn:aws:s3:::{bucket}"
    probes: list[Probe] = []
    if allowed is not None:
        probes += [Probe("s3:ListBucket", arn, {"s3:prefix": allowed}, True),
                   Probe("s3:GetObject", f"{arn}/{allowed}podid-verify-object", {}, True),
                   Probe("s3:GetObject", f"arn:aws:s3:::podid-verify-other-bucket/{allowed}"
                                         "podid-verify-object", {}, False)]
    if blocked is not None:
        probes += [Probe("s3:ListBucket", arn, {"s3:prefix": blocked}, False),
                   Probe("s3:GetObject", f"{arn}/{blocked}podid-verify-object", {}, False)]
    return probes


def pod_identity_trust_probes() -> list[Probe]:
    return [Probe("sts:AssumeRole", "", {}, True), Probe("sts:TagSession", "", {}, True)]


def irsa_trust_probes(issuer_host_path: str, namespace: str, service_account: str) -> list[Probe]:
    sub = f"{issuer_host_path}:sub"
    aud = f"{issuer_host_path}:aud"
    ours = {sub: f"system:serviceaccount:{namespace}:{service_account}", aud: "sts.amazonaws.com"}
    other = {sub: "system:serviceaccount:podid-verify-other:any-other-sa", aud: "sts.amazonaws.com"}
    return [Probe("sts:AssumeRoleWithWebIdentity", "", ours, True),
            Probe("sts:AssumeRoleWithWebIdentity", "", other, False)]


def with_resource(probes: Sequence[Probe], resource: str) -> list[Probe]:
    return [Probe(p.action, resource, p.context, p.want_allowed) for p in probes]


__all__ = ["POD_IDENTITY_SERVICE", "PolicyError", "Probe", "Verdict", "compile_docs",
           "irsa_trust_probes", "lint_documents", "pod_identity_trust_probes", "s3_probes",
           "simulate", "with_resource"]
