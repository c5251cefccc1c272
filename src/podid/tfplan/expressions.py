"""Terraform expressions evaluated as far as they can be before apply.

Known before apply: literals, variables' defaults (or ``--var`` values), locals, the attributes a
resource's own arguments decide (a role's ``name`` and ``arn``, a bucket's ``arn``: see
:mod:`podid.tfplan.resources`), ``data.aws_iam_policy_document.*.json``, ``data.aws_caller_identity``
/ ``aws_region`` / ``aws_partition``, and the pure functions users put around them (``jsonencode``,
``replace``, ``format``, ``join``, ...). Anything else (a cluster's issuer, a key's generated id,
``for`` expressions, conditionals) is :class:`Unknown`, rendered as its own ``${...}`` text, exactly
what ``terraform plan`` calls "(known after apply)".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from podid.tfplan import hcl


@dataclass(frozen=True)
class Unknown:
    """A value known only after apply; ``str()`` is the expression as written."""

    expression: str

    def __str__(self) -> str:
        return "${" + self.expression + "}"


_REFERENCE = re.compile(r"[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\]|\[\"[^\"]*\"\])*")
_PART = re.compile(r"\.?([A-Za-z_][\w-]*)|\[(\d+)\]|\[\"([^\"]*)\"\]")
_CALL = re.compile(r"([a-z_][a-z0-9_]*)\(", re.S)


def _closing(text: str, start: int, open_: str, close: str) -> int:
    """Index of the bracket closing the one at ``start`` (quotes and nested ``${}`` skipped), or -1."""
    depth, i, quoted = 0, start, False
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i if ch == close else -1
        i += 1
    return -1


def interpolations(text: str) -> list[tuple[int, int]]:
    """(start, end) of each top-level ``${...}`` in a template string (end exclusive)."""
    spans, i = [], 0
    while (i := text.find("${", i)) != -1:
        if i > 0 and text[i - 1] == "$":  # "$${" is a literal "${"
            i += 2
            continue
        end = _closing(text, i + 1, "{", "}")
        if end == -1:
            break
        spans.append((i, end + 1))
        i = end + 1
    return spans


def _plain(value: Any) -> Any:
    if isinstance(value, Unknown):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def has_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return isinstance(value, str) and bool(interpolations(value))


def _format(fmt: str, *args: Any) -> str:
    values = iter(args)
    return re.sub(r"%%|%[-+ #0-9.]*[sdvqtf]",
                  lambda m: "%" if m.group() == "%%" else str(next(values, "")), fmt)


def _replace(text: str, old: str, new: str) -> str:
    if len(old) > 1 and old.startswith("/") and old.endswith("/"):
        return re.sub(old[1:-1], re.sub(r"\$(\d+)", r"\\\1", new), text)
    return text.replace(old, new)


def _merge(*maps: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in maps:
        out.update(m)
    return out


#: The pure functions podid evaluates; any other call is Unknown. Arguments are plain values.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "jsonencode": lambda v: json.dumps(_plain(v), separators=(",", ":"), sort_keys=True),
    "jsondecode": json.loads,
    "replace": _replace,
    "format": _format,
    "join": lambda sep, items: sep.join(str(i) for i in items),
    "concat": lambda *lists: [x for items in lists for x in items],
    "lower": str.lower,
    "upper": str.upper,
    "tostring": str,
    "tolist": list,
    "toset": lambda items: list(dict.fromkeys(items)),
    "trimprefix": lambda s, p: s.removeprefix(p),
    "trimsuffix": lambda s, p: s.removesuffix(p),
    "length": len,
    "merge": _merge,
    "distinct": lambda items: list(dict.fromkeys(items)),
    "flatten": lambda items: [y for x in items for y in (x if isinstance(x, list) else [x])],
}

#: ``TYPE.NAME`` or ``data.TYPE.NAME`` -> its attributes (values may be Unknown), given an evaluator.
AttributeSource = Callable[["Evaluator", str, str, str], Mapping[str, Any] | None]


@dataclass
class Evaluator:
    """Evaluates values of one configuration: ``variables`` (name -> value), ``locals`` (name -> raw
    value), ``attributes`` (looks up a resource's or data source's attributes)."""

    variables: Mapping[str, Any]
    locals: Mapping[str, Any]
    attributes: AttributeSource
    _active: set[str] = field(default_factory=set)

    def resolve(self, value: Any) -> Any:
        """A raw python-hcl2 value with every ``${...}`` evaluated (Unknown where it cannot be)."""
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, str):
            return value
        spans = interpolations(value)
        if len(spans) == 1 and spans[0] == (0, len(value)):
            return self.expression(value[2:-1])
        out, last = [], 0
        for start, end in spans:
            out.append(value[last:start])
            result = self.expression(value[start + 2:end - 1])
            out.append(("true" if result else "false") if isinstance(result, bool) else str(result))
            last = end
        out.append(value[last:])
        return "".join(out).replace("$${", "${")

    def expression(self, text: str) -> Any:
        text = text.strip()
        if _REFERENCE.fullmatch(text) and text not in ("true", "false", "null"):
            return self.reference(text)
        call = _CALL.match(text)
        if call and _closing(text, call.end() - 1, "(", ")") == len(text) - 1:
            return self._call(call.group(1), text[call.end():-1], text)
        try:
            parsed = hcl.value(text)
        except hcl.HclError:
            return Unknown(text)
        if isinstance(parsed, str) and parsed.strip() == "${" + text + "}":
            return Unknown(text)   # an operator, conditional or for expression: not evaluated
        return self.resolve(parsed)

    def _call(self, name: str, args_text: str, text: str) -> Any:
        function = FUNCTIONS.get(name)
        if function is None:
            return Unknown(text)
        try:
            raw_args = hcl.value(f"[{args_text}]") if args_text.strip() else []
        except hcl.HclError:
            return Unknown(text)
        args = [self.resolve(a) for a in raw_args]
        if name != "jsonencode" and any(has_unknown(a) for a in args):
            return Unknown(text)
        try:
            return function(*args)
        except (TypeError, ValueError, KeyError, re.error):
            return Unknown(text)

    def reference(self, text: str) -> Any:
        parts: list[str | int] = []
        for m in _PART.finditer(text):
            name, index, key = m.groups()
            parts.append(int(index) if index is not None else key if key is not None else name)
        if text in self._active:
            return Unknown(text)
        self._active.add(text)
        try:
            return self._lookup(text, parts)
        finally:
            self._active.discard(text)

    def _lookup(self, text: str, parts: list[str | int]) -> Any:
        head = parts[0]
        if head == "var" and len(parts) >= 2:
            base: Any = self.variables.get(str(parts[1]), Unknown(f"var.{parts[1]}"))
            rest = parts[2:]
        elif head == "local" and len(parts) >= 2 and str(parts[1]) in self.locals:
            base, rest = self.resolve(self.locals[str(parts[1])]), parts[2:]
        elif head == "data" and len(parts) >= 4:
            base, rest = self.attributes(self, "data", str(parts[1]), str(parts[2])), parts[3:]
        elif len(parts) >= 3 and isinstance(parts[1], str):
            base, rest = self.attributes(self, "resource", str(head), parts[1]), parts[2:]
        else:
            return Unknown(text)
        for part in rest:
            if isinstance(base, Unknown) or base is None:
                return Unknown(text)
            in_map = isinstance(base, Mapping) and isinstance(part, str) and part in base
            in_list = isinstance(base, list) and isinstance(part, int) and part < len(base)
            if in_map or in_list:
                base = base[part]
            else:
                return Unknown(text)
        return Unknown(text) if base is None or isinstance(base, Unknown) else base
