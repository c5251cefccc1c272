"""`podid policy generate`: the tightest identity policy for the calls a role was seen making.

Owns the command-line edge of `podid.policygen`: reading `STATE/audit.jsonl`, writing the policy
(stdout or --output), and checking it with the judge's validator and linter before it is
written. Exit codes: 0 written and clean; 1 written but validation or lint found something;
2 bad input (no audit log, bad --since, nothing observed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from podid.iam import lint_policy, validate_policy
from podid.policygen import generate, notes, observations, parse_since

app = typer.Typer(help="Policies from observed behaviour.", no_args_is_help=True)


def _die(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@app.command("generate")
def generate_cmd(
    role: Annotated[str, typer.Option("--role", help="Role name or ARN whose sessions were observed.")],
    since: Annotated[str, typer.Option("--since", help="30m, 2h, 7d or an ISO 8601 time.")] = "1d",
    state: Annotated[Path, typer.Option("--state", help="State directory.")] = Path(".podid"),
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the policy here.")] = None,
    include_denied: Annotated[
        bool, typer.Option("--include-denied", help="Also allow calls that were denied (and enforced).")
    ] = False,
) -> None:
    """Write the policy allowing exactly the calls the role made (allowed or recorded) since --since."""
    try:
        start = parse_since(since)
    except ValueError:
        _die(f"--since {since!r}: expected 30m, 2h, 7d or an ISO 8601 time")
    path = state / "audit.jsonl"
    if not path.exists():
        _die(f"no audit log at {path}")
    seen, without = observations(path, role, start, include_denied=include_denied)
    try:
        policy = generate(seen)
    except ValueError as exc:
        _die(f"{exc} (role {role}, since {start:%Y-%m-%dT%H:%M:%SZ})")
    text = json.dumps(policy, indent=2) + "\n"
    findings = validate_policy(text, name="generated") + [
        f for f in lint_policy(text, name="generated") if f.severity != "info"
    ]
    unique = {(f.code, f.location): f for f in findings}
    if output is not None:
        output.write_text(text)
    else:
        typer.echo(text, nl=False)
    calls = len({o.event_time + o.action + o.resource for o in seen})
    typer.echo(f"{len(seen)} requests ({calls} distinct) -> {len(policy['Statement'])} statements", err=True)
    if without:
        typer.echo(f"note: {without} events of the role carry no authorization details (older log)", err=True)
    for line in notes(seen):
        typer.echo(f"note: {line}", err=True)
    for f in unique.values():
        typer.echo(f"{f.severity}: {f.code}: {f.message} ({f.location})", err=True)
    if unique:
        raise typer.Exit(1)
