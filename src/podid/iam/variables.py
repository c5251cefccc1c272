"""Policy variables (`${aws:username}`, `${aws:PrincipalTag/x, 'default'}`, `${*}` `${?}` `${$}`).

Owns the template form of a policy string: a tuple of parts, each a `Glob` (policy text whose
`*`/`?` are wildcards where the operator allows them), a `Lit` (text matched literally: the escapes
`${*}`, `${?}`, `${$}`) or a `Var` (a context key, case-insensitive, with an optional default).
Only 2012-10-17 policies have variables; in 2008-10-17 policies `${...}` is plain text. A variable
whose key is absent (or multivalued) and has no default cannot be resolved: `resolve` returns None
and the pattern holding it matches nothing. Substituted values are literal text, never wildcards.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Glob:
    text: str


@dataclass(frozen=True, slots=True)
class Lit:
    text: str


@dataclass(frozen=True, slots=True)
class Var:
    key: str  # lower-case context key
    default: str | None


Part = Glob | Lit | Var
Template = tuple[Part, ...]

_VAR = re.compile(r"\$\{\s*(?:([*?$])|([^\s{}',]+)\s*(?:,\s*'([^']*)'\s*)?)\s*\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


def parse_template(text: str) -> Template | None:
    """Split `text` into parts; None when it holds no variable or escape (plain glob text)."""
    if "${" not in text:
        return None
    parts: list[Part] = []
    pos = 0
    for m in _VAR.finditer(text):
        if m.start() > pos:
            parts.append(Glob(text[pos : m.start()]))
        esc, key, default = m.group(1), m.group(2), m.group(3)
        if esc:
            parts.append(Lit(_ESCAPES[esc]))
        else:
            parts.append(Var(key.lower(), default))
        pos = m.end()
    if not parts:
        return None
    if pos < len(text):
        parts.append(Glob(text[pos:]))
    return tuple(parts)


def lookup(context: Mapping[str, str | Sequence[str]], key: str, default: str | None) -> str | None:
    """Value of a variable: the single value of `key` in the (lower-cased) context, or `default`."""
    value = context.get(key)
    if isinstance(value, str):
        return value
    return default


def resolve(template: Template, context: Mapping[str, str | Sequence[str]]) -> Template | None:
    """Replace every `Var` by a `Lit` of its value; None when one cannot be resolved."""
    out: list[Part] = []
    for part in template:
        if isinstance(part, Var):
            value = lookup(context, part.key, part.default)
            if value is None:
                return None
            out.append(Lit(value))
        else:
            out.append(part)
    return tuple(out)


def plain_text(template: Template) -> str:
    """A resolved template as text (for operators without wildcards)."""
    return "".join(p.text for p in template if not isinstance(p, Var))
