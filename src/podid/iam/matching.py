"""Wildcard matching for actions, resource ARNs and StringLike/ArnLike values.

Owns the compilation of patterns into fast predicates: `*` matches any run of characters, `?` one
character. Actions match case-insensitively on the whole string; ARNs match per ARN segment
(`arn:partition:service:region:account:resource`): a wildcard in the first five segments never
crosses a `:`, the resource segment (which may itself hold `:` and `/`) matches as a whole.
Literal patterns compare with `==`, `prefix*` patterns with `startswith`, anything else with one
pre-compiled regular expression. Patterns with policy variables are compiled per request.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from podid.iam.variables import Glob, Lit, Template, Var

Matcher = Callable[[str], bool]


def _always(_: str) -> bool:
    return True


def _never(_: str) -> bool:
    return False


def glob_to_regex(template: Template, *, arn: bool = False) -> str:
    """Regex source for a glob template. With `arn`, wildcards in the first five ARN segments do
    not cross ':'."""
    out: list[str] = []
    colons = 0
    for part in template:
        if isinstance(part, Var):  # unresolved variables never reach here
            raise ValueError("unresolved variable")
        if isinstance(part, Lit):
            out.append(re.escape(part.text))
            colons += part.text.count(":")
            continue
        for ch in part.text:
            if ch == "*":
                out.append("[^:]*" if arn and colons < 5 else ".*")
            elif ch == "?":
                out.append("[^:]" if arn and colons < 5 else ".")
            else:
                if ch == ":":
                    colons += 1
                out.append(re.escape(ch))
    return "".join(out)


def compile_template(template: Template, *, arn: bool = False, ignore_case: bool = False) -> Matcher:
    """Matcher for a resolved template (glob parts are wildcards, literal parts are not). Cached:
    templates with policy variables are resolved and compiled per request, with recurring values."""
    return _compiled(template, arn, ignore_case)


@functools.lru_cache(maxsize=4096)
def _compiled(template: Template, arn: bool, ignore_case: bool) -> Matcher:
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(glob_to_regex(template, arn=arn), flags).fullmatch  # type: ignore[return-value]


def compile_glob(pattern: str, *, arn: bool = False, ignore_case: bool = False) -> Matcher:
    """Fast matcher for a wildcard pattern without variables. With `ignore_case` the caller must
    pass lower-cased input."""
    if ignore_case:
        pattern = pattern.lower()
    if pattern == "*":
        return _always
    star = pattern.find("*")
    if "?" not in pattern:
        if star < 0:
            return pattern.__eq__
        if star == len(pattern) - 1 and (not arn or pattern.count(":") >= 5):
            prefix = pattern[:-1]
            return lambda s: s.startswith(prefix)
    return compile_template((Glob(pattern),), arn=arn)


def glob_matches_star(pattern: str) -> bool:
    """True when the glob `pattern` matches the literal string "*" (request resource "*")."""
    return bool(re.fullmatch(glob_to_regex((Glob(pattern),)), "*", re.DOTALL))


NEVER: Matcher = _never
ALWAYS: Matcher = _always
