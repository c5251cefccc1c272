"""Least-privilege lint for IAM policy documents, on top of validation and the action catalogue.

Owns `lint_policy` (validation findings + catalogue findings + review rules) and
`catalogue_findings` (unknown services/actions/condition keys, for `podid iam validate`). Every finding has a
stable `code`; the rules and their severities are listed in `RULES`. `error` findings are grants
broader than any workload needs (a CI gate should fail on them); `warning` findings deserve a look.

Wildcard and Resource rules apply to policies that grant (identity, resource, trust); boundaries,
session policies, SCPs and RCPs only cap permissions, so broad Allows there are normal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from podid.iam.catalogue import Catalogue
from podid.iam.errors import PolicyError
from podid.iam.jsonpos import loads as json_loads
from podid.iam.model import Finding, Policy, PolicyKind
from podid.iam.parser import parse_policy
from podid.iam.validator import validate_policy

# code -> (severity, one-line summary); the codes are stable, documented in `podid iam lint --help`
RULES: dict[str, tuple[str, str]] = {
    "WildcardAction": ("error", 'Allow with Action "*": every action of every service'),
    "ServiceWildcardAction": ("error", 'Allow with "service:*": every action of a service'),
    "WildcardResource": ("error", 'Allow with Resource "*" on actions that support resource ARNs'),
    "AllowWithNotAction": ("error", "Allow with NotAction: grants everything not listed"),
    "AllowWithNotResource": ("error", "Allow with NotResource: grants on everything not listed"),
    "PassRoleWildcard": ("error", 'iam:PassRole on Resource "*": pass any role to any service'),
    "WebIdentityNoSubCondition": ("error", "web-identity trust without a :sub condition"),
    "WebIdentityWildcardSub": ("error", "web-identity trust whose :sub pattern has * or ?"),
    "PodIdentityNoTagSession": ("error", "Pod Identity trust without sts:TagSession"),
    "PodIdentityExtraPrincipal": ("error", "Pod Identity trust that trusts more than pods.eks.amazonaws.com"),
    "ListBucketNoPrefix": ("warning", "s3:ListBucket without s3:prefix while GetObject is prefix-scoped"),
    "UnknownService": ("warning", "service prefix not in the IAM catalogue"),
    "UnknownAction": ("warning", "action not in the IAM catalogue"),
    "UnknownConditionKey": ("warning", "service condition key not in the IAM catalogue"),
}

GRANTING_KINDS: frozenset[str] = frozenset({"identity", "resource", "trust"})
POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
_MAX_LISTED = 5


def _finding(code: str, message: str, location: str) -> Finding:
    severity = RULES[code][0]
    return Finding(severity, code, message, location)  # type: ignore[arg-type]


def finding_to_json(f: Finding) -> dict[str, Any]:
    """The JSON form of a finding (also used by the CLI's --format json)."""
    out: dict[str, Any] = {
        "severity": f.severity,
        "code": f.code,
        "message": f.message,
        "location": f.location,
    }
    line = getattr(f, "line", None)
    if line is not None:
        out["line"] = line
        out["column"] = getattr(f, "column", None)
    return out


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str)]
    return []


def _listing(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_MAX_LISTED])
    return shown + (f" and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else "")


def _wild(text: str) -> bool:
    return "*" in text or "?" in text


def _match(pattern: str, text: str) -> bool:
    body = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.match(body + r"\Z", text, re.IGNORECASE | re.DOTALL) is not None


def _covers(patterns: Iterable[str], action: str) -> bool:
    return any(_match(p, action) for p in patterns)


# ---------------------------------------------------------------------------------------------
# catalogue findings


def catalogue_findings(policy: Policy, *, catalogue: Catalogue | None = None) -> list[Finding]:
    """UnknownService/UnknownAction warnings for a parsed policy's Action/NotAction values, and
    UnknownConditionKey for undocumented keys of known services."""
    cat = catalogue or Catalogue.load()
    out: list[Finding] = []
    for stmt in policy.statements:
        for field in ("Action", "NotAction"):
            loc = f"{policy.name}: Statement[{stmt.index}].{field}"
            for value in _strings(stmt.raw.get(field)):
                if value == "*":
                    continue
                prefix, _, name = value.partition(":")
                if _wild(prefix):
                    if not cat.expand(value):
                        out.append(_finding("UnknownAction", f"{value} matches no known action.", loc))
                    continue
                svc = cat.service(prefix)
                if svc is None:
                    out.append(
                        _finding(
                            "UnknownService",
                            f'Unknown service prefix "{prefix}" in {value} (catalogue: {cat.version}).',
                            loc,
                        )
                    )
                elif _wild(name):
                    if not cat.expand(value):
                        out.append(_finding("UnknownAction", f"{value} matches no {prefix} action.", loc))
                elif svc.action(name) is None:
                    out.append(
                        _finding(
                            "UnknownAction",
                            f'Unknown action "{name}" for service {prefix} (catalogue: {cat.version}).',
                            loc,
                        )
                    )
        out.extend(_condition_key_findings(policy.name, stmt.index, stmt.raw, cat))
    return out


def _condition_key_findings(name: str, index: int, raw: Mapping[str, Any], cat: Catalogue) -> list[Finding]:
    """Keys of a known service (not `aws:`) that the service does not document: a typo there makes
    the condition test a key no request carries."""
    out: list[Finding] = []
    for op, key, _ in _conditions(raw):
        prefix = key.partition(":")[0]
        if prefix.lower() == "aws":
            continue
        svc = cat.service(prefix)
        if svc is not None and svc.condition_type(key) is None:
            out.append(
                _finding(
                    "UnknownConditionKey",
                    f'Condition key "{key}" is not a documented {svc.prefix} key (catalogue: {cat.version}); '
                    "no request carries it, so the condition never matches as intended.",
                    f"{name}: Statement[{index}].Condition.{op}",
                )
            )
    return out


# ---------------------------------------------------------------------------------------------
# statement rules


def _action_rules(policy: Policy, cat: Catalogue) -> list[Finding]:
    out: list[Finding] = []
    for stmt in policy.statements:
        if stmt.effect != "Allow":
            continue
        raw = stmt.raw
        loc = f"{policy.name}: Statement[{stmt.index}]"
        if "NotAction" in raw:
            out.append(
                _finding(
                    "AllowWithNotAction",
                    "Allow with NotAction allows every action not listed, including actions AWS adds "
                    "later. List the actions to allow instead.",
                    f"{loc}.NotAction",
                )
            )
        if "NotResource" in raw:
            out.append(
                _finding(
                    "AllowWithNotResource",
                    "Allow with NotResource allows the actions on every resource not listed. "
                    "List the resources to allow instead.",
                    f"{loc}.NotResource",
                )
            )
        actions = _strings(raw.get("Action"))
        for a in actions:
            prefix, _, name = a.partition(":")
            if a == "*":
                out.append(
                    _finding(
                        "WildcardAction",
                        'Action "*" allows every action of every service. List the actions the '
                        "workload calls.",
                        f"{loc}.Action",
                    )
                )
            elif name == "*" or (_wild(prefix) and name.strip("*") == ""):
                out.append(
                    _finding(
                        "ServiceWildcardAction",
                        f'Action "{a}" allows every action of the service, including permission '
                        "and deletion actions. List the actions the workload calls.",
                        f"{loc}.Action",
                    )
                )
        resources = _strings(raw.get("Resource"))
        if "*" in resources and actions and "*" not in actions:
            expanded: list[str] = []
            for a in actions:
                expanded.extend(x for x in cat.expand(a) if x not in expanded)
            scoped = [x for x in expanded if cat.supports_resource_level(x)]
            passrole = [x for x in scoped if x.lower() == "iam:passrole"]
            if passrole:
                out.append(
                    _finding(
                        "PassRoleWildcard",
                        'iam:PassRole on Resource "*" lets the caller pass any role, including admin '
                        "roles, to a service. Name the role ARNs and add an iam:PassedToService "
                        "condition.",
                        f"{loc}.Resource",
                    )
                )
            scoped = [x for x in scoped if x.lower() != "iam:passrole"]
            if scoped:
                out.append(
                    _finding(
                        "WildcardResource",
                        'Resource "*" with actions that support resource-level permissions: '
                        f"{_listing(scoped)}. Name the resource ARNs.",
                        f"{loc}.Resource",
                    )
                )
    return out


def _principal_values(raw: Mapping[str, Any], key: str) -> list[str]:
    principal = raw.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, Mapping):
        return _strings(principal.get(key))
    return []


def _all_principals(raw: Mapping[str, Any]) -> list[tuple[str, str]]:
    principal = raw.get("Principal")
    if principal == "*":
        return [("AWS", "*")]
    if isinstance(principal, Mapping):
        return [(k, v) for k, vals in principal.items() for v in _strings(vals)]
    return []


def _conditions(raw: Mapping[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(operator, key, values) of a statement's Condition block."""
    cond = raw.get("Condition")
    out: list[tuple[str, str, list[str]]] = []
    if isinstance(cond, Mapping):
        for op, block in cond.items():
            if isinstance(block, Mapping):
                for key, values in block.items():
                    out.append(
                        (
                            str(op),
                            str(key),
                            [str(v) for v in values] if isinstance(values, list) else [str(values)],
                        )
                    )
    return out


def _positive_op(op: str) -> bool:
    """Whether a condition operator restricts to the listed values (not a negation/Null test)."""
    base = op.split(":")[-1].lower().removesuffix("ifexists")
    return base.startswith(("string", "arn")) and "not" not in base


def _trust_rules(policy: Policy) -> list[Finding]:
    out: list[Finding] = []
    pod_identity = [
        s
        for s in policy.statements
        if s.effect == "Allow"
        and POD_IDENTITY_SERVICE in [v.lower() for v in _principal_values(s.raw, "Service")]
    ]
    for stmt in policy.statements:
        if stmt.effect != "Allow":
            continue
        raw = stmt.raw
        loc = f"{policy.name}: Statement[{stmt.index}]"
        federated = _principal_values(raw, "Federated")
        actions = _strings(raw.get("Action"))
        if any(":oidc-provider/" in f for f in federated) and _covers(
            actions, "sts:AssumeRoleWithWebIdentity"
        ):
            subs = [
                (op, key, vals)
                for op, key, vals in _conditions(raw)
                if key.lower().endswith(":sub") and _positive_op(op)
            ]
            if not subs:
                out.append(
                    _finding(
                        "WebIdentityNoSubCondition",
                        "Web-identity trust with no condition on the token's :sub: every "
                        "ServiceAccount in the cluster (any namespace) can assume this role. Add "
                        '"StringEquals": {"<issuer>:sub": "system:serviceaccount:<namespace>:<name>"}.',
                        f"{loc}.Condition",
                    )
                )
            for op, key, vals in subs:
                like = "like" in op.lower()
                wild = [v for v in vals if like and _wild(v)]
                if wild:
                    out.append(
                        _finding(
                            "WebIdentityWildcardSub",
                            f"The {key} pattern {_listing(wild)} has a wildcard: ServiceAccounts it was "
                            "not meant for can assume this role. Use StringEquals with the exact "
                            "system:serviceaccount:<namespace>:<name>.",
                            f"{loc}.Condition.{op}",
                        )
                    )
    if pod_identity:
        allowed = [a for s in pod_identity for a in _strings(s.raw.get("Action"))]
        if not _covers(allowed, "sts:TagSession"):
            s = pod_identity[0]
            out.append(
                _finding(
                    "PodIdentityNoTagSession",
                    "Pod Identity trust for pods.eks.amazonaws.com must allow sts:TagSession as well "
                    "as sts:AssumeRole; EKS tags every session and the association fails without it.",
                    f"{policy.name}: Statement[{s.index}].Action",
                )
            )
        for stmt in policy.statements:
            if stmt.effect != "Allow":
                continue
            extra = [
                f"{k}:{v}"
                for k, v in _all_principals(stmt.raw)
                if not (k == "Service" and v.lower() == POD_IDENTITY_SERVICE)
            ]
            if extra:
                out.append(
                    _finding(
                        "PodIdentityExtraPrincipal",
                        f"This Pod Identity trust also trusts {_listing(extra)}; only "
                        f"{POD_IDENTITY_SERVICE} should assume a Pod Identity role.",
                        f"{policy.name}: Statement[{stmt.index}].Principal",
                    )
                )
    return out


def _object_prefix(resource: str) -> str | None:
    """For `arn:aws:s3:::bucket/key-pattern`, (bucket) when the key pattern is narrower than `*`."""
    m = re.match(r"arn:[^:]*:s3:::([^/]+)/(.*)\Z", resource)
    if not m or m.group(2) in ("*", ""):
        return None
    return m.group(1)


def _list_bucket_rule(policy: Policy) -> list[Finding]:
    out: list[Finding] = []
    scoped_buckets: set[str] = set()
    for stmt in policy.statements:
        if stmt.effect == "Allow" and _covers(_strings(stmt.raw.get("Action")), "s3:GetObject"):
            for r in _strings(stmt.raw.get("Resource")):
                bucket = _object_prefix(r)
                if bucket is not None:
                    scoped_buckets.add(bucket)
    if not scoped_buckets:
        return out
    for stmt in policy.statements:
        if stmt.effect != "Allow" or not _covers(_strings(stmt.raw.get("Action")), "s3:ListBucket"):
            continue
        resources = _strings(stmt.raw.get("Resource"))
        hits = sorted(b for b in scoped_buckets if any(_match(r, f"arn:aws:s3:::{b}") for r in resources))
        has_prefix = any(key.lower() == "s3:prefix" for _, key, _ in _conditions(stmt.raw))
        if hits and not has_prefix:
            out.append(
                _finding(
                    "ListBucketNoPrefix",
                    f"s3:ListBucket on {_listing(hits)} has no s3:prefix condition, but s3:GetObject is "
                    "scoped to a prefix: the workload can list every key in the bucket. Add "
                    '"StringLike": {"s3:prefix": "<prefix>/*"}.',
                    f"{policy.name}: Statement[{stmt.index}]",
                )
            )
    return out


# ---------------------------------------------------------------------------------------------


def lint_policy(
    doc: str | bytes | Mapping[str, Any] | Policy,
    *,
    kind: PolicyKind = "identity",
    name: str = "policy",
    catalogue: Catalogue | None = None,
) -> list[Finding]:
    """Validation findings, catalogue warnings and least-privilege findings for one document.

    Never raises for a bad document: an invalid one yields its validation error(s) only.
    """
    if isinstance(doc, Policy):
        policy = doc
        findings: list[Finding] = []
    else:
        findings = validate_policy(doc, kind=kind, name=name)
        if any(f.severity == "error" for f in findings):
            return findings
        try:
            policy = parse_policy(doc, kind=kind, name=name)
        except PolicyError as e:  # pragma: no cover - validate_policy reported it already
            return [Finding("error", e.code, e.message, e.location)]
    cat = catalogue or Catalogue.load()
    findings.extend(catalogue_findings(policy, catalogue=cat))
    if policy.kind in GRANTING_KINDS:
        findings.extend(_action_rules(policy, cat))
        findings.extend(_trust_rules(policy))
        findings.extend(_list_bucket_rule(policy))
    return _positioned(findings, doc, policy.name)


_LOCATION_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _positioned(findings: list[Finding], doc: object, name: str) -> list[Finding]:
    """Add 1-based line/column from the source text to findings that lack them (location strings
    ``NAME: Statement[i].Field...`` name the JSON path)."""
    if isinstance(doc, bytes | bytearray):
        doc = bytes(doc).decode("utf-8", errors="replace")
    if not isinstance(doc, str):
        return findings
    try:
        value, positions = json_loads(doc)
    except ValueError:
        return findings
    single = isinstance(value, dict) and isinstance(value.get("Statement"), dict)
    out: list[Finding] = []
    for f in findings:
        prefix = f"{name}: "
        if f.line is not None or not f.location.startswith(prefix):
            out.append(f)
            continue
        path: list[str | int] = []
        for key, index in _LOCATION_PART.findall(f.location[len(prefix):]):
            if index:
                if not (single and path == ["Statement"]):
                    path.append(int(index))
            else:
                path.append(key)
        pos = positions.at(tuple(path))
        out.append(f if pos is None else replace(f, line=pos[0], column=pos[1]))
    return out
