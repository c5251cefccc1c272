"""IAM evaluation case files (tests/data/iam-cases/README.md format) -> judge requests.

Owns reading and checking a case file: every case becomes a `Request` and a compiled `PolicySet`,
or a `CaseFileError` names the file, the case id and the field that is wrong. Used by
`podid iam eval-cases` and by the benchmark (bench/iam_bench.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, get_args

from podid.iam import Policy, PolicyError, PolicyKind, PolicySet, Request, parse_policy
from podid.iam.model import PrincipalType

OUTCOMES = ("allowed", "implicit_deny", "explicit_deny")
_MANY_KINDS: tuple[PolicyKind, ...] = ("identity", "boundary", "session", "scp", "rcp")
_POLICY_MEMBERS = frozenset({*_MANY_KINDS, "resource", "resource_kind"})


class CaseFileError(Exception):
    """A malformed case file; the message names the file, the case and the field."""


@dataclass(frozen=True)
class Case:
    id: str
    request: Request
    policies: PolicySet
    expected: str | None
    raw: Mapping[str, Any]


def _fail(where: str, message: str) -> CaseFileError:
    return CaseFileError(f"{where}: {message}")


def _str(obj: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise _fail(f"{where}.{key}", "missing" if value is None else "must be a non-empty string")
    return value


def _context(value: Any, where: str) -> dict[str, str | Sequence[str]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(where, "must be an object of condition keys")
    out: dict[str, str | Sequence[str]] = {}
    for key, v in value.items():
        if isinstance(v, str):
            out[key] = v
        elif isinstance(v, list) and all(isinstance(x, str) for x in v):
            out[key] = tuple(v)
        else:
            raise _fail(f"{where}.{key}", "must be a string or a list of strings")
    return out


def _policy(doc: Any, kind: PolicyKind, where: str) -> Policy:
    if not isinstance(doc, Mapping):
        raise _fail(where, "must be a policy document (a JSON object)")
    try:
        return parse_policy(doc, kind=kind, name=where)
    except PolicyError as e:
        raise CaseFileError(f"{e.location}: {e.code}: {e.message}") from None


def build_case(raw: Any, where: str) -> Case:
    """One case object -> Case (CaseFileError on any malformed member)."""
    if not isinstance(raw, Mapping):
        raise _fail(where, "must be an object")
    case_id = _str(raw, "id", where)
    assert case_id is not None
    where = f"{where} (id {case_id})"
    req = raw.get("request")
    if not isinstance(req, Mapping):
        raise _fail(f"{where}: request", "missing" if req is None else "must be an object")
    rwhere = f"{where}: request"
    principal_type = req.get("principal_type", "AWS")
    if principal_type not in get_args(PrincipalType):
        raise _fail(f"{rwhere}.principal_type", f"must be one of {', '.join(get_args(PrincipalType))}")
    action = _str(req, "action", rwhere)
    assert action is not None
    if ":" not in action:
        raise _fail(f"{rwhere}.action", f"{action!r} is not service:Action")
    request = Request(
        principal=_str(req, "principal", rwhere) or "",
        action=action,
        resource=_str(req, "resource", rwhere, required=False) or "*",
        context=_context(req.get("context"), f"{rwhere}.context"),
        resource_account=_str(req, "resource_account", rwhere, required=False),
        principal_type=principal_type,
    )
    pol = raw.get("policies", {})
    pwhere = f"{where}: policies"
    if not isinstance(pol, Mapping):
        raise _fail(pwhere, "must be an object")
    unknown = sorted(set(pol) - _POLICY_MEMBERS)
    if unknown:
        raise _fail(
            f"{pwhere}.{unknown[0]}",
            f"unknown policy kind (expected one of {', '.join(_MANY_KINDS)}, resource)",
        )
    many: dict[str, list[Policy] | None] = {}
    for kind in _MANY_KINDS:
        docs = pol.get(kind)
        if docs is None:
            many[kind] = None
            continue
        if not isinstance(docs, list):
            raise _fail(f"{pwhere}.{kind}", "must be a list of policy documents")
        many[kind] = [_policy(d, kind, f"{pwhere}.{kind}[{i}]") for i, d in enumerate(docs)]
    resource = None
    if "resource" in pol:
        rkind = pol.get("resource_kind", "resource")
        if rkind not in ("resource", "trust"):
            raise _fail(f"{pwhere}.resource_kind", 'must be "resource" or "trust"')
        resource = _policy(pol["resource"], rkind, f"{pwhere}.resource")
    expected = raw.get("expected")
    if expected is not None and expected not in OUTCOMES:
        raise _fail(f"{where}: expected", f"must be one of {', '.join(OUTCOMES)}")
    policies = PolicySet(
        identity=many["identity"] or (),
        resource=resource,
        boundary=many["boundary"],
        session=many["session"],
        scp=many["scp"],
        rcp=many["rcp"],
    )
    return Case(case_id, request, policies, expected, raw)


def load_cases(text: str | bytes, name: str) -> list[Case]:
    """Parse a whole case file; CaseFileError names `name`, the case and the field on any problem."""
    try:
        data = json.loads(text)
    except ValueError as e:
        raise CaseFileError(f"{name}: not valid JSON: {e}") from None
    cases = data.get("cases") if isinstance(data, Mapping) else None
    if not isinstance(cases, list):
        raise CaseFileError(f'{name}: expected an object with a "cases" list')
    out: list[Case] = []
    seen: set[str] = set()
    for i, raw in enumerate(cases):
        case = build_case(raw, f"{name}: cases[{i}]")
        if case.id in seen:
            raise CaseFileError(f"{name}: cases[{i}] (id {case.id}): duplicate id")
        seen.add(case.id)
        out.append(case)
    return out
