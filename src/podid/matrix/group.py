"""Fold cells into readable rows.

Two steps per (identity, service): resources under one parent (S3 objects of one bucket) whose
every action got the same decision and deciding statements form one range, labelled with their
common key prefix + `*` when no other resource of that parent shares the prefix; then, within a
range, the actions of one access level sharing decision, deciding statements and the conditional
mark form one row.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Sequence

from podid.matrix.model import Cell, Row

LEVELS = ("List", "Read", "Write", "Permissions management", "Tagging", "")
_LEVEL_RANK = {name: i for i, name in enumerate(LEVELS)}
_DECISION_RANK = {"allowed": 0, "explicit_deny": 1, "implicit_deny": 2}


def _parent(arn: str) -> str:
    """S3 object ARNs group under their bucket; every other resource stands alone."""
    if arn.startswith("arn:aws:s3:::") and "/" in arn:
        return arn.split("/", 1)[0]
    return arn


def range_label(members: Sequence[str], siblings: Iterable[str]) -> str:
    """The one ARN, or the members' common prefix (cut after a `/`) + `*` if it covers no sibling."""
    if len(members) == 1:
        return members[0]
    prefix = os.path.commonprefix(list(members))
    if "/" in prefix:
        prefix = prefix[: prefix.rindex("/") + 1]
    others = set(siblings) - set(members)
    if any(o.startswith(prefix) for o in others) or prefix.endswith(":::"):
        return f"{len(members)} objects in {_parent(members[0])}"
    return prefix + "*"


def rows(cells: Iterable[Cell], roles: dict[str, str]) -> list[Row]:
    """Rows of `cells`; `roles` maps identity key -> role ARN."""
    by_target: dict[tuple[str, str], dict[str, list[Cell]]] = defaultdict(lambda: defaultdict(list))
    for c in cells:
        by_target[(c.identity, c.service)][c.resource].append(c)
    out: list[Row] = []
    for (identity, service), per_resource in by_target.items():
        ranges: dict[tuple[str, frozenset[tuple[str, str, tuple[str, ...], bool]]], list[str]] = \
            defaultdict(list)
        for arn, group in per_resource.items():
            signature = frozenset((c.action, c.decision, c.deciding, c.conditional) for c in group)
            ranges[(_parent(arn), signature)].append(arn)
        children: dict[str, list[str]] = defaultdict(list)
        for arn in per_resource:
            children[_parent(arn)].append(arn)
        for (parent, _sig), members in ranges.items():
            members.sort()
            label = range_label(members, children[parent])
            sample = per_resource[members[0]]
            folded: dict[tuple[str, str, tuple[str, ...], bool], list[str]] = defaultdict(list)
            for c in sample:
                folded[(c.access_level, c.decision, c.deciding, c.conditional)].append(c.action)
            for (level, decision, deciding, conditional), actions in folded.items():
                out.append(Row(identity, roles.get(identity, ""), service, level, tuple(members), label,
                               tuple(sorted(actions)), decision, deciding, conditional))
    out.sort(key=lambda r: (r.identity, r.service, r.resource_label != "*", r.resource_label,
                            _LEVEL_RANK.get(r.access_level, 9), _DECISION_RANK.get(r.decision, 9)))
    return out
