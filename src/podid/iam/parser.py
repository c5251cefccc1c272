"""Parse, validate and compile one policy document.

Owns `parse_policy` (the only way to build a `Policy`) and `policy_size`. Validation follows what
IAM itself rejects, with IAM's error codes and message texts (see podid.iam.errors); the first
error found is raised as `PolicyError` with its location ("<name>: Statement[1].Action") and
source line/column. Compilation builds the evaluator's indexed form once: statements grouped by
action service prefix, patterns pre-compiled, condition values pre-converted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from podid.iam import errors as E
from podid.iam.conditions import CondTest, compile_condition, parse_operator, scalar_text
from podid.iam.errors import PolicyError
from podid.iam.jsonpos import JsonError, Path, Positions, loads
from podid.iam.model import Policy, PolicyKind, Statement, StatementRef
from podid.iam.principals import PRINCIPAL_KEYS, PrincipalSpec, valid_aws_principal
from podid.iam.resources import ActionSet, ResourceSet

VERSIONS = ("2012-10-17", "2008-10-17")
TOP_KEYS = frozenset({"Version", "Id", "Statement"})
STATEMENT_KEYS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
#: AWS quotas (characters, whitespace not counted) and the quota names IAM reports.
SIZE_LIMITS: dict[str, tuple[int, str]] = {
    "managed": (6144, "PolicySize"),
    "inline_role": (10240, "RolePolicySize"),
    "inline_user": (2048, "UserPolicySize"),
    "inline_group": (5120, "GroupPolicySize"),
    "trust": (2048, "ACLSizePerRole"),
}
_NO_PRINCIPAL_KINDS = frozenset({"identity", "boundary", "session", "scp"})
_PRINCIPAL_KINDS = frozenset({"resource", "trust", "rcp"})
_SID_ALNUM = re.compile(r"^[0-9A-Za-z]*$")
_WHITESPACE = re.compile(r"\s+")


def policy_size(doc: str | bytes | Mapping[str, Any]) -> int:
    """Size as IAM counts it: characters excluding whitespace."""
    if isinstance(doc, bytes):
        doc = doc.decode("utf-8", errors="replace")
    if not isinstance(doc, str):
        doc = json.dumps(doc, separators=(",", ":"), ensure_ascii=False, default=str)
    return len(_WHITESPACE.sub("", doc))


class _Ctx:
    def __init__(self, name: str, positions: Positions | None, stmt_list: bool) -> None:
        self.name = name
        self.positions = positions
        self.stmt_list = stmt_list

    def where(self, path: Path) -> str:
        out = ""
        i = 0
        while i < len(path):
            p = path[i]
            if p == "Statement" and i == 0:
                out = "Statement"
                if self.stmt_list and len(path) > 1:
                    out += f"[{path[1]}]"
                    i += 1
            elif isinstance(p, int):
                out += f"[{p}]"
            else:
                out += ("." if out else "") + str(p)
            i += 1
        return f"{self.name}: {out}" if out else self.name

    def error(self, message: str, path: Path, code: str = E.MALFORMED) -> PolicyError:
        pos = self.positions.at(path) if self.positions is not None else None
        line, col = pos if pos is not None else (None, None)
        return PolicyError(code, message, self.where(path), line, col)


def _load(doc: Any, name: str) -> tuple[Any, Positions | None]:
    if isinstance(doc, bytes | bytearray):
        try:
            doc = bytes(doc).decode("utf-8")
        except UnicodeDecodeError:
            raise PolicyError(E.MALFORMED, E.MSG_SYNTAX, name) from None
    if isinstance(doc, str):
        try:
            return loads(doc)
        except JsonError as e:
            raise PolicyError(E.MALFORMED, E.MSG_SYNTAX, name, e.line, e.column) from None
    return doc, None


def _strings(value: Any) -> list[str] | None:
    """A string or a non-empty list of strings, as a list; None when it is neither."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def parse_policy(
    doc: str | bytes | Mapping[str, Any],
    *,
    kind: PolicyKind = "identity",
    name: str = "policy",
    max_size: int | None = None,
    size_quota: str = "PolicySize",
) -> Policy:
    """Validate and compile a policy document; raises `PolicyError` (and nothing else).

    `max_size` (characters excluding whitespace; see `SIZE_LIMITS`) raises LimitExceeded
    "Cannot exceed quota for <size_quota>: <max_size>" when exceeded.
    """
    try:
        return _parse(doc, kind, name, max_size, size_quota)
    except PolicyError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, RecursionError):
        # inputs that are not JSON-shaped at all (Mapping with odd Python values, ...)
        raise PolicyError(E.MALFORMED, E.MSG_SYNTAX, name) from None


def _parse(doc: Any, kind: PolicyKind, name: str, max_size: int | None, size_quota: str) -> Policy:
    raw_text = doc if isinstance(doc, str | bytes) else None
    data, positions = _load(doc, name)
    if not isinstance(data, Mapping):
        raise PolicyError(E.MALFORMED, E.MSG_SYNTAX, name, *((1, 1) if positions else (None, None)))
    stmt_raw = data.get("Statement")
    cx = _Ctx(name, positions, isinstance(stmt_raw, list | tuple))
    size = policy_size(raw_text if raw_text is not None else data)
    if max_size is not None and size > max_size:
        raise cx.error(E.MSG_SIZE.format(quota=size_quota, limit=max_size), (), E.LIMIT_EXCEEDED)
    for key in data:
        if key not in TOP_KEYS:
            raise cx.error(E.MSG_SYNTAX, (key,))
    version = data.get("Version", "2008-10-17")
    if not isinstance(version, str):
        raise cx.error(E.MSG_SYNTAX, ("Version",))
    if version not in VERSIONS:
        raise cx.error(E.MSG_LEGACY, ("Version",))
    pid = data.get("Id")
    if pid is not None and not isinstance(pid, str):
        raise cx.error(E.MSG_SYNTAX, ("Id",))
    if "Statement" not in data:
        raise cx.error(E.MSG_SYNTAX, ())
    if isinstance(stmt_raw, Mapping):
        raw_statements: Sequence[Any] = [stmt_raw]
    elif isinstance(stmt_raw, list | tuple):
        raw_statements = stmt_raw
    else:
        raise cx.error(E.MSG_SYNTAX, ("Statement",))
    variables = version == "2012-10-17"
    statements: list[Statement] = []
    sids: set[str] = set()
    for i, raw in enumerate(raw_statements):
        base: Path = ("Statement", i) if cx.stmt_list else ("Statement",)
        statements.append(_statement(cx, kind, name, i, base, raw, variables, sids))
    return _build(name, kind, version, pid, tuple(statements), data, size)


def _statement(
    cx: _Ctx,
    kind: PolicyKind,
    name: str,
    index: int,
    base: Path,
    raw: Any,
    variables: bool,
    sids: set[str],
) -> Statement:
    if not isinstance(raw, Mapping):
        raise cx.error(E.MSG_SYNTAX, base)
    for key in raw:
        if key not in STATEMENT_KEYS:
            raise cx.error(E.MSG_SYNTAX, (*base, key))
    # Sid
    sid = raw.get("Sid")
    if sid is not None:
        if not isinstance(sid, str):
            raise cx.error(E.MSG_SYNTAX, (*base, "Sid"))
        if kind in _NO_PRINCIPAL_KINDS and not _SID_ALNUM.match(sid):
            raise cx.error(E.MSG_SID_CHARS, (*base, "Sid"))
        if sid and sid in sids:
            raise cx.error(E.MSG_DUP_SID, (*base, "Sid"))
        sids.add(sid)
    # Effect
    if "Effect" not in raw:
        raise cx.error(E.MSG_MISSING.format(field="Effect"), base)
    effect = raw["Effect"]
    if effect not in ("Allow", "Deny"):
        raise cx.error(E.MSG_SYNTAX, (*base, "Effect"))
    # Principal / NotPrincipal
    has_p, has_np = "Principal" in raw, "NotPrincipal" in raw
    if has_p and has_np:
        raise cx.error(E.MSG_SYNTAX, (*base, "NotPrincipal"))
    principal = not_principal = None
    if kind in _NO_PRINCIPAL_KINDS:
        if has_p or has_np:
            raise cx.error(E.MSG_NO_PRINCIPAL, (*base, "Principal" if has_p else "NotPrincipal"))
    else:
        if not (has_p or has_np):
            raise cx.error(E.MSG_MISSING.format(field="Principal"), base)
        if has_np and kind in ("trust", "rcp"):
            raise cx.error(E.MSG_PROHIBITED.format(field="NotPrincipal"), (*base, "NotPrincipal"))
        field = "Principal" if has_p else "NotPrincipal"
        spec = _principal(cx, raw[field], (*base, field))
        if has_p:
            principal = spec
        else:
            not_principal = spec
    # Action / NotAction
    if "Action" in raw and "NotAction" in raw:
        raise cx.error(E.MSG_SYNTAX, (*base, "NotAction"))
    afield = "Action" if "Action" in raw else "NotAction" if "NotAction" in raw else None
    if afield is None:
        raise cx.error(E.MSG_MISSING.format(field="Action"), base)
    actions = _strings(raw[afield])
    if actions is None:
        raise cx.error(E.MSG_SYNTAX, (*base, afield))
    for j, a in enumerate(actions):
        if a == "*":
            continue
        vendor, colon, rest = a.partition(":")
        apath = (*base, afield, j) if isinstance(raw[afield], list | tuple) else (*base, afield)
        if not colon or not vendor:
            raise cx.error(E.MSG_VENDOR, apath)
        if ":" in rest:
            raise cx.error(E.MSG_ONE_COLON, apath)
    # Resource / NotResource
    if "Resource" in raw and "NotResource" in raw:
        raise cx.error(E.MSG_SYNTAX, (*base, "NotResource"))
    rfield = "Resource" if "Resource" in raw else "NotResource" if "NotResource" in raw else None
    resources: ResourceSet | None = None
    if kind == "trust":
        if rfield is not None:
            raise cx.error(E.MSG_PROHIBITED.format(field=rfield), (*base, rfield))
    else:
        if rfield is None:
            raise cx.error(E.MSG_MISSING.format(field="Resource"), base)
        res = _strings(raw[rfield])
        if res is None:
            raise cx.error(E.MSG_SYNTAX, (*base, rfield))
        for j, r in enumerate(res):
            if r != "*" and not r.startswith("arn:"):
                rpath = (*base, rfield, j) if isinstance(raw[rfield], list | tuple) else (*base, rfield)
                raise cx.error(E.MSG_RESOURCE_ARN.format(resource=r), rpath)
        resources = ResourceSet(
            res, rfield == "NotResource", variables, kind in ("identity", "boundary", "session")
        )
    # Condition
    conditions: tuple[CondTest, ...] = ()
    if "Condition" in raw:
        block = _condition(cx, raw["Condition"], (*base, "Condition"))
        conditions = compile_condition(block, variables)
    ref = StatementRef(kind, name, index, sid, effect)
    return Statement(
        index=index,
        sid=sid,
        effect=effect,
        ref=ref,
        actions=ActionSet(actions, afield == "NotAction"),
        resources=resources,
        principal=principal,
        not_principal=not_principal,
        conditions=conditions,
        raw=raw,
    )


def _principal(cx: _Ctx, value: Any, path: Path) -> PrincipalSpec:
    if value == "*":
        return PrincipalSpec(value)
    if not isinstance(value, Mapping) or not value:
        raise cx.error(E.MSG_BAD_PRINCIPAL.format(principal=json.dumps(value, default=str)), path)
    for key, vals in value.items():
        items = _strings(vals)
        if key not in PRINCIPAL_KEYS or items is None:
            shown = f'"{key}":{json.dumps(vals, default=str)}'
            raise cx.error(E.MSG_BAD_PRINCIPAL.format(principal=shown), (*path, key))
        for v in items:
            if (key == "AWS" and not valid_aws_principal(v)) or not v:
                raise cx.error(E.MSG_BAD_PRINCIPAL.format(principal=f'"{key}":"{v}"'), (*path, key))
    return PrincipalSpec(value)


def _condition(cx: _Ctx, value: Any, path: Path) -> dict[str, dict[str, list[str]]]:
    if not isinstance(value, Mapping):
        raise cx.error(E.MSG_SYNTAX, path)
    out: dict[str, dict[str, list[str]]] = {}
    for op, keys in value.items():
        if not isinstance(op, str) or parse_operator(op) is None:
            raise cx.error(E.MSG_BAD_CONDITION.format(op=op), (*path, op))
        if not isinstance(keys, Mapping):
            raise cx.error(E.MSG_SYNTAX, (*path, op))
        block: dict[str, list[str]] = {}
        for key, vals in keys.items():
            seq = vals if isinstance(vals, list | tuple) else [vals]
            texts: list[str] = []
            for v in seq:
                if v is None or isinstance(v, Mapping | list | tuple):
                    raise cx.error(E.MSG_SYNTAX, (*path, op, key))
                if not isinstance(v, str | int | float | bool):
                    raise cx.error(E.MSG_SYNTAX, (*path, op, key))
                texts.append(scalar_text(v))
            block[str(key)] = texts
        out[op] = block
    return out


def _build(
    name: str,
    kind: PolicyKind,
    version: str,
    pid: str | None,
    statements: tuple[Statement, ...],
    data: Mapping[str, Any],
    size: int,
) -> Policy:
    generic = tuple(s for s in statements if s.actions.services is None)
    services: set[str] = set()
    for s in statements:
        if s.actions.services is not None:
            services |= s.actions.services
    by_service: dict[str, tuple[Statement, ...]] = {}
    for svc in services:
        by_service[svc] = tuple(
            s for s in statements if s.actions.services is None or svc in s.actions.services
        )
    return Policy(
        name=name,
        kind=kind,
        version=version,
        id=pid,
        statements=statements,
        document=data,
        size=size,
        _by_service=by_service,
        _generic=generic,
    )
