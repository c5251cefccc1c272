"""`podid audit tail`: show the last audit events (``STATE/audit.jsonl``), optionally following."""

from __future__ import annotations

import json
import time
from collections import deque
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(help="The audit log (CloudTrail-shaped JSON lines).", no_args_is_help=True)

_POLL_SECONDS = 0.25


def summary(event: dict[str, Any]) -> str:
    """One line: time, service:operation, caller, decision or error."""
    ident = event.get("userIdentity") or {}
    who = ident.get("arn") or ident.get("accessKeyId") or ident.get("type", "?")
    source = str(event.get("eventSource", "?")).removesuffix(".amazonaws.com")
    podid = event.get("podid") or {}
    outcome = podid.get("decision", "?")
    if event.get("errorCode"):
        outcome += f" {event['errorCode']}"
    deciding = f" [{podid['deciding']}]" if podid.get("deciding") else ""
    return f"{event.get('eventTime', '?')} {source}:{event.get('eventName', '?')} {who} {outcome}{deciding}"


def _show(line: str, raw: bool) -> None:
    line = line.strip()
    if not line:
        return
    if raw:
        typer.echo(line)
        return
    try:
        typer.echo(summary(json.loads(line)))
    except json.JSONDecodeError:
        typer.echo(line)


@app.command("tail")
def tail(
    state: Annotated[Path, typer.Option("--state", help="State directory.")] = Path(".podid"),
    n: Annotated[int, typer.Option("-n", "--lines", help="How many of the last events to show.")] = 20,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new events.")] = False,
    raw: Annotated[bool, typer.Option("--json", help="Print the raw JSON lines.")] = False,
    max_seconds: Annotated[float, typer.Option(
        "--max-seconds", help="With --follow: stop after this long (0: until Ctrl-C).")] = 0.0,
) -> None:
    """Print the last N audit events; with --follow, keep printing new ones."""
    path = state / "audit.jsonl"
    if not path.exists() and not follow:
        typer.echo(f"no audit log at {path}", err=True)
        raise typer.Exit(1)
    position = 0
    if path.exists():
        with path.open("r", encoding="utf-8") as fh:
            for line in deque(fh, maxlen=max(n, 0)):
                _show(line, raw)
            position = fh.tell()
    if not follow:
        return
    deadline = time.monotonic() + max_seconds if max_seconds > 0 else None
    pending = ""
    try:
        while deadline is None or time.monotonic() < deadline:
            if path.exists():
                if path.stat().st_size < position:  # truncated or replaced
                    position = 0
                with path.open("r", encoding="utf-8") as fh:
                    fh.seek(position)
                    chunk = fh.read()
                    position = fh.tell()
                pending += chunk
                *lines, pending = pending.split("\n")
                for line in lines:
                    _show(line, raw)
            time.sleep(_POLL_SECONDS)
    except KeyboardInterrupt:
        pass
