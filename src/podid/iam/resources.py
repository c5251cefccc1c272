"""Action and Resource elements: compiled matchers and the per-service statement index key.

Owns `ActionSet` (Action/NotAction: case-insensitive globs, exact names in a set, the service
prefixes a statement can match so the policy can index statements by service) and `ResourceSet`
(Resource/NotResource: case-sensitive ARN globs matched per ARN segment, policy variables resolved
per request). A request resource of "*" (actions without a resource type) matches only patterns
that themselves glob-match the literal "*". A short ARN pattern (fewer than six segments) is
padded with "*" segments ("arn:aws:sqs:*" = "arn:aws:sqs:*:*:*") when it holds a wildcard or sits
in an identity, boundary or session policy; otherwise it matches nothing (as the reference
evaluator does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from podid.iam.matching import NEVER, Matcher, compile_glob, compile_template, glob_matches_star
from podid.iam.variables import Glob, Template, parse_template, plain_text, resolve

Context = Mapping[str, str | Sequence[str]]


class ActionSet:
    """Action or NotAction of one statement."""

    __slots__ = ("negated", "any", "exact", "matchers", "services")

    def __init__(self, patterns: Sequence[str], negated: bool) -> None:
        self.negated = negated
        self.any = False
        self.exact: set[str] = set()
        self.matchers: list[Matcher] = []
        services: set[str] | None = set()
        for p in patterns:
            low = p.lower()
            svc, _, _ = low.partition(":")
            if low == "*" or "*" in svc or "?" in svc or ":" not in low:
                services = None
            elif services is not None:
                services.add(svc)
            if low == "*":
                self.any = True
            elif "*" in low or "?" in low:
                self.matchers.append(compile_glob(low, ignore_case=True))
            else:
                self.exact.add(low)
        # NotAction can match actions of every service
        self.services: frozenset[str] | None = None if negated or services is None else frozenset(services)

    def matches(self, action: str) -> bool:
        """`action` must be lower-case."""
        hit = self.any or action in self.exact or any(m(action) for m in self.matchers)
        return hit != self.negated


def _expand_short_arn(text: str, expand_plain: bool) -> str | None:
    """Full six-segment form of an ARN pattern; None for a short ARN that matches nothing."""
    if not text.startswith("arn:"):
        return text
    colons = text.count(":")
    if colons >= 5:
        return text
    if "*" not in text and not expand_plain:
        return None
    return text + ":*" * (5 - colons)


class _Pattern:
    __slots__ = ("text", "matcher", "template", "star", "expand")

    def __init__(self, text: str, variables: bool, expand_plain: bool) -> None:
        self.text = text
        self.expand = expand_plain
        self.template: Template | None = parse_template(text) if variables else None
        self.matcher: Matcher | None = None
        self.star = False
        if self.template is None:
            full = _expand_short_arn(text, expand_plain)
            if full is None:
                self.matcher = NEVER
            else:
                self.matcher = compile_glob(full, arn=full.count(":") >= 5)
                self.star = glob_matches_star(full)

    def matches(self, resource: str, ctx: Context) -> bool:
        if self.matcher is not None:
            if resource == "*":
                return self.star
            return self.matcher(resource)
        assert self.template is not None
        resolved = resolve(self.template, ctx)
        if resolved is None:
            return False
        text = plain_text(resolved)
        full = _expand_short_arn(text, self.expand)
        if full is None:
            return False
        if full != text:
            resolved = (*resolved, Glob(full[len(text) :]))
        if resource == "*":
            return compile_template(resolved)("*")
        return compile_template(resolved, arn=full.count(":") >= 5)(resource)


class ResourceSet:
    """Resource or NotResource of one statement."""

    __slots__ = ("negated", "any", "patterns")

    def __init__(
        self, patterns: Sequence[str], negated: bool, variables: bool, expand_short: bool = False
    ) -> None:
        self.negated = negated
        self.any = "*" in patterns
        self.patterns = tuple(_Pattern(p, variables, expand_short) for p in patterns if p != "*")

    def matches(self, resource: str, ctx: Context) -> bool:
        if self.any:
            return not self.negated
        star = resource == "*"
        for p in self.patterns:   # a plain loop with the variable-free case inlined: hot path
            matcher = p.matcher
            if matcher is not None:
                if p.star if star else matcher(resource):
                    return not self.negated
            elif p.matches(resource, ctx):
                return not self.negated
        return self.negated
