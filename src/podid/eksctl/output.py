"""eksctl's printers: tables as kops' ``tables`` renders them (Go tabwriter, tab padding, tab width
8, "No <kind> found" when empty), JSON (2-space indent) and YAML."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import yaml

from podid.eksctl.errors import EksctlError

TAB = 8
Column = tuple[str, Callable[[Any], object]]


def table(rows: Sequence[Any], columns: Sequence[Column], kind: str) -> str:
    if not rows:
        return f"No {kind.lower()} found\n"
    cells = [[name for name, _ in columns]] + [[str(get(row)) for _, get in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    out = []
    for line in cells:
        parts = []
        for i, cell in enumerate(line):
            if i == len(line) - 1:
                parts.append(cell)
                continue
            width = -(-(widths[i] + 1) // TAB) * TAB
            parts.append(cell + "\t" * (-(-(width - len(cell)) // TAB)))
        out.append("".join(parts).rstrip("\t"))
    return "\n".join(out) + "\n"


def render(items: Sequence[Any], fmt: str, columns: Sequence[Column], kind: str) -> str:
    if fmt == "table":
        return table(items, columns, kind)
    if fmt == "json":
        return json.dumps(list(items), indent=2) + "\n"
    if fmt == "yaml":
        return str(yaml.safe_dump(list(items), sort_keys=False))
    raise EksctlError(f"unknown output printer type: {fmt}")
