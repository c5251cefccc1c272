"""Condition operators: compile a statement's `Condition` block and test it against a request.

Owns every IAM condition operator (String*, Numeric*, Date*, Bool, BinaryEquals, IpAddress,
NotIpAddress, Arn*, Null), the `IfExists` suffix and the `ForAllValues:`/`ForAnyValue:` set
prefixes. Semantics (IAM User Guide, "Condition operators" and "Multivalued context keys"):

* AND across operators and across keys of one operator, OR across the values of one key.
* A missing key: `IfExists` -> true; `ForAllValues` -> true; `ForAnyValue` -> false; a negated
  operator (StringNotEquals, NotIpAddress, ArnNotLike, ...) -> true; any other -> false.
* A multivalued key under a plain operator: a positive operator matches when any request value
  matches; a negated one when no request value matches the positive form.
* `ForAnyValue:Op`: some request value satisfies Op; `ForAllValues:Op`: every request value does
  (an empty or missing key -> true).
* A number, date, IP address, ARN (fewer than six segments), base64 or boolean that cannot be
  parsed (policy or request side) makes that comparison "no match" -- for negated operators
  too -- and never raises.
* Policy variables in values (2012-10-17 only) are resolved per request; an unresolvable one makes
  that value match nothing (so StringNotEquals against it holds), as the reference evaluator does.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from podid.iam.matching import compile_glob, compile_template
from podid.iam.variables import Template, parse_template, plain_text, resolve

Context = Mapping[str, str | Sequence[str]]
_ERR = object()  # "cannot be parsed" marker

# ---------------------------------------------------------------- value converters


def _num(text: str) -> Any:
    try:
        v = float(text.strip())
    except (ValueError, AttributeError):
        return _ERR
    return _ERR if math.isnan(v) else v


_EPOCH = re.compile(r"^-?\d+(\.\d+)?$")


def _date(text: str) -> Any:
    t = text.strip()
    if _EPOCH.match(t):
        try:
            return float(t)
        except ValueError:  # pragma: no cover - regex guarantees a number
            return _ERR
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        return _ERR
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        return dt.timestamp()
    except (OverflowError, ValueError):  # pragma: no cover
        return _ERR


def _bool(text: str) -> Any:
    t = text.lower()
    return t if t in ("true", "false") else _ERR


def _binary(text: str) -> Any:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return _ERR


def _network(text: str) -> Any:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return _ERR


def _address(text: str) -> Any:
    t = text.strip()
    try:
        if "/" in t:
            return ipaddress.ip_interface(t).ip
        return ipaddress.ip_address(t)
    except ValueError:
        return _ERR


def _ident(text: str) -> Any:
    return text


def _arn(text: str) -> Any:
    return text if text.startswith("arn:") and text.count(":") >= 5 else _ERR


def _lower(text: str) -> Any:
    return text.lower()


# ---------------------------------------------------------------- comparisons (ctx, policy) -> bool


def _in_net(addr: Any, net: Any) -> bool:
    return bool(addr.version == net.version and addr in net)


@dataclass(frozen=True, slots=True)
class _Family:
    ctx_conv: Callable[[str], Any]
    pol_conv: Callable[[str], Any]
    compare: Callable[[Any, Any], bool]
    kind: str  # "eq" (set membership possible), "like", "arn", "other"


_F_STRING = _Family(_ident, _ident, lambda a, b: a == b, "eq")
_F_STRING_IC = _Family(_lower, _lower, lambda a, b: a == b, "eq")
_F_LIKE = _Family(_ident, _ident, lambda a, m: bool(m(a)), "like")
_F_ARN = _Family(_arn, _ident, lambda a, m: bool(m(a)), "arn")
_F_BOOL = _Family(_bool, _bool, lambda a, b: a == b, "eq")
_F_BINARY = _Family(_binary, _binary, lambda a, b: a == b, "eq")
_F_IP = _Family(_address, _network, _in_net, "other")


def _numeric(cmp: Callable[[float, float], bool]) -> _Family:
    return _Family(_num, _num, cmp, "other")


def _dated(cmp: Callable[[float, float], bool]) -> _Family:
    return _Family(_date, _date, cmp, "other")


def _eq(a: float, b: float) -> bool:
    return a == b


def _lt(a: float, b: float) -> bool:
    return a < b


def _le(a: float, b: float) -> bool:
    return a <= b


def _gt(a: float, b: float) -> bool:
    return a > b


def _ge(a: float, b: float) -> bool:
    return a >= b


# operator name -> (family, negated)
OPERATORS: dict[str, tuple[_Family, bool]] = {
    "StringEquals": (_F_STRING, False),
    "StringNotEquals": (_F_STRING, True),
    "StringEqualsIgnoreCase": (_F_STRING_IC, False),
    "StringNotEqualsIgnoreCase": (_F_STRING_IC, True),
    "StringLike": (_F_LIKE, False),
    "StringNotLike": (_F_LIKE, True),
    "NumericEquals": (_numeric(_eq), False),
    "NumericNotEquals": (_numeric(_eq), True),
    "NumericLessThan": (_numeric(_lt), False),
    "NumericLessThanEquals": (_numeric(_le), False),
    "NumericGreaterThan": (_numeric(_gt), False),
    "NumericGreaterThanEquals": (_numeric(_ge), False),
    "DateEquals": (_dated(_eq), False),
    "DateNotEquals": (_dated(_eq), True),
    "DateLessThan": (_dated(_lt), False),
    "DateLessThanEquals": (_dated(_le), False),
    "DateGreaterThan": (_dated(_gt), False),
    "DateGreaterThanEquals": (_dated(_ge), False),
    "Bool": (_F_BOOL, False),
    "BinaryEquals": (_F_BINARY, False),
    "IpAddress": (_F_IP, False),
    "NotIpAddress": (_F_IP, True),
    "ArnEquals": (_F_ARN, False),
    "ArnLike": (_F_ARN, False),
    "ArnNotEquals": (_F_ARN, True),
    "ArnNotLike": (_F_ARN, True),
}
NULL = "Null"


@dataclass(frozen=True, slots=True)
class OperatorName:
    base: str
    set_op: str | None  # "ForAllValues" | "ForAnyValue" | None
    if_exists: bool


def parse_operator(name: str) -> OperatorName | None:
    """Split "ForAnyValue:StringLikeIfExists" into its parts; None when it is not an operator."""
    set_op: str | None = None
    base = name
    if ":" in name:
        prefix, _, base = name.partition(":")
        if prefix not in ("ForAllValues", "ForAnyValue"):
            return None
        set_op = prefix
    if_exists = False
    if base.endswith("IfExists"):
        base = base[: -len("IfExists")]
        if_exists = True
    if base == NULL:
        if if_exists:
            return None
        return OperatorName(base, set_op, False)
    if base not in OPERATORS:
        return None
    return OperatorName(base, set_op, if_exists)


def scalar_text(value: Any) -> str:
    """A JSON scalar condition value as IAM reads it (true -> "true", 100 -> "100")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------- compiled test


@dataclass(frozen=True, slots=True)
class _Value:
    """One policy value: pre-converted, or a template resolved per request."""

    converted: Any  # converted value / matcher, or _ERR
    template: Template | None


class CondTest:
    """One (operator, key) pair of a Condition block with its policy values."""

    __slots__ = (
        "op",
        "key",
        "family",
        "negated",
        "set_op",
        "if_exists",
        "is_null",
        "values",
        "fast_set",
        "has_templates",
    )

    def __init__(self, op: OperatorName, key: str, raw_values: Sequence[str], variables: bool) -> None:
        self.op = op
        self.key = key.lower()
        self.set_op = op.set_op
        self.if_exists = op.if_exists
        self.is_null = op.base == NULL
        if self.is_null:
            self.family = _F_STRING
            self.negated = False
        else:
            self.family, self.negated = OPERATORS[op.base]
        vals: list[_Value] = []
        for raw in raw_values:
            tpl = parse_template(raw) if variables and not self.is_null else None
            if tpl is not None:
                vals.append(_Value(_ERR, tpl))
            else:
                vals.append(_Value(self._convert_policy(raw), None))
        self.values = tuple(vals)
        self.has_templates = any(v.template is not None for v in vals)
        # StringEquals & co without variables: one set lookup per request value.
        self.fast_set: frozenset[Any] | None = None
        if self.family.kind == "eq" and not self.has_templates and not self.is_null:
            good = [v.converted for v in vals if v.converted is not _ERR]
            if len(good) == len(vals):
                self.fast_set = frozenset(good)

    def _convert_policy(self, raw: str) -> Any:
        fam = self.family
        if self.is_null:
            return _bool(raw)
        if fam.kind == "like":
            return compile_glob(raw)
        if fam.kind == "arn":
            return _ERR if _arn(raw) is _ERR else compile_glob(raw, arn=True)
        return fam.pol_conv(raw)

    def _resolved_values(self, ctx: Context) -> list[Any]:
        """Policy values for this request; _ERR for unparseable, None for unresolvable."""
        out: list[Any] = []
        fam = self.family
        for v in self.values:
            if v.template is None:
                out.append(v.converted)
                continue
            r = resolve(v.template, ctx)
            if r is None:
                out.append(None)  # matches nothing (a negated operator then holds)
            elif fam.kind == "like":
                out.append(compile_template(r))
            elif fam.kind == "arn":
                ok = _arn(plain_text(r)) is not _ERR
                out.append(compile_template(r, arn=True) if ok else _ERR)
            else:
                out.append(fam.pol_conv(plain_text(r)))
        return out

    def _positive(self, cv: Any, pvals: list[Any] | None) -> bool | None:
        """Does request value `cv` (converted) match any policy value? None = unparseable."""
        if cv is _ERR:
            return None
        if pvals is None:
            assert self.fast_set is not None
            return cv in self.fast_set
        compare = self.family.compare
        hit = False
        for pv in pvals:
            if pv is None:
                continue
            if pv is _ERR:
                return None
            if compare(cv, pv):
                hit = True
        return hit

    def _one(self, raw: str, pvals: list[Any] | None) -> bool:
        pos = self._positive(self.family.ctx_conv(raw), pvals)
        if pos is None:
            return False
        return (not pos) if self.negated else pos

    def evaluate(self, ctx: Context) -> bool:
        value = ctx.get(self.key)
        if self.is_null:
            absent = value is None or (not isinstance(value, str) and len(value) == 0)
            want = "true" if absent else "false"
            return any(v.converted == want for v in self.values)
        if value is None:
            if self.if_exists or self.set_op == "ForAllValues":
                return True
            if self.set_op == "ForAnyValue":
                return False
            return self.negated
        pvals = None if self.fast_set is not None else self._resolved_values(ctx)
        if isinstance(value, str):
            if self.set_op is None:
                return self._one(value, pvals)
            items: Sequence[str] = (value,)
        else:
            items = value
        if self.set_op == "ForAllValues":
            return all(self._one(v, pvals) for v in items)
        if self.set_op == "ForAnyValue":
            return any(self._one(v, pvals) for v in items)
        # plain operator, multivalued key
        if not items:
            return self.negated
        results = [self._positive(self.family.ctx_conv(v), pvals) for v in items]
        if any(r is None for r in results):
            return False
        hit = any(results)
        return (not hit) if self.negated else hit


def compile_condition(
    block: Mapping[str, Mapping[str, Sequence[str]]], variables: bool
) -> tuple[CondTest, ...]:
    """Compile a validated Condition block ({operator: {key: [values as text]}})."""
    tests: list[CondTest] = []
    for opname, keys in block.items():
        op = parse_operator(opname)
        if op is None:  # validated before; defensive
            raise ValueError(opname)
        for key, values in keys.items():
            tests.append(CondTest(op, key, values, variables))
    return tuple(tests)
