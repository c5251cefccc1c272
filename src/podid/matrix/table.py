"""The access matrix and its diff as Rich tables (the default `--format table`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from podid.matrix.report import Change

_STYLE = {"allowed": "green", "explicit_deny": "bold red", "implicit_deny": "dim"}


def _actions(actions: Sequence[str], limit: int = 6) -> str:
    names = [a.partition(":")[2] for a in actions]
    shown = ", ".join(names[:limit])
    return shown + (f" (+{len(names) - limit} more)" if len(names) > limit else "")


def print_report(console: Console, report: Mapping[str, Any], *, show_denied: bool) -> None:
    """One table per identity: its rows (allowed, explicit denies and conditional implicit denies;
    every implicit deny with `show_denied`)."""
    for ident in report["identities"]:
        key = ident["serviceAccount"]
        table = Table(title=f"{key} -> {ident['roleArn']} ({ident['via']})", title_justify="left")
        for col in ("service", "resource", "access level", "decision", "actions", "deciding statement"):
            table.add_column(col)
        for row in report["rows"]:
            if row["serviceAccount"] != key:
                continue
            if row["decision"] == "implicit_deny" and not (show_denied or row["conditional"]):
                continue
            decision = row["decision"] + (" (conditional)" if row["conditional"] else "")
            table.add_row(row["service"], escape(row["resource"]), row["accessLevel"],
                          f"[{_STYLE.get(row['decision'], '')}]{decision}[/]",
                          f"{len(row['actions'])}: {escape(_actions(row['actions']))}",
                          escape("\n".join(row["deciding"])))
        console.print(table)
    for note in report.get("notes", []):
        console.print(f"[yellow]note:[/] {escape(note)}")
    s = report["summary"]
    console.print(f"{s['cells']} cells, {s['allowed']} allowed, {s['rows']} rows")


def print_changes(console: Console, changes: Sequence[Change]) -> None:
    """The cells whose decision changed."""
    table = Table(title=f"{len(changes)} changed cells", title_justify="left")
    for col in ("change", "service account", "action", "resource", "before", "after", "deciding statement"):
        table.add_column(col)
    for c in changes:
        style = "green" if c.kind == "added" else "red" if c.kind == "removed" else "yellow"
        table.add_row(f"[{style}]{c.kind}[/]", escape(c.identity), c.action, escape(c.resource),
                      c.before or "-", c.after or "-", escape("\n".join(c.deciding)))
    console.print(table)
