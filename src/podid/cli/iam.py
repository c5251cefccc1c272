"""`podid iam`: evaluate case files, simulate one request, validate and lint policy documents.

Owns the command-line edge of `podid.iam`: reading files (or `-` for stdin), turning judge
results into Rich tables or JSON, and exit codes. Exit codes: 0 success; 1 the check failed
(validation errors, lint findings at or above --fail-on, eval-cases --check mismatches); 2 bad
input (unreadable file, malformed case file or policy, bad option value).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from podid.iam import (
    Decision,
    Finding,
    Policy,
    PolicyError,
    PolicyKind,
    PolicySet,
    Request,
    denial_message,
    evaluate,
    parse_policy,
    validate_policy,
)
from podid.iam.lint import RULES, catalogue_findings, finding_to_json, lint_policy

app = typer.Typer(
    name="iam",
    help="IAM policy judge: evaluate case files, simulate a request, validate and lint policies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DEFAULT_PRINCIPAL = "arn:aws:sts::111122223333:assumed-role/podid-simulate/session"
VALIDATE_KINDS = ("identity", "resource", "trust", "boundary", "scp", "session", "rcp")
_SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _out() -> Console:
    return Console(soft_wrap=True, highlight=False)


def _die(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _read(path: str) -> tuple[str, str]:
    """(text, display name) of a file, or of stdin for `-`."""
    if path == "-":
        return sys.stdin.read(), "<stdin>"
    try:
        return Path(path).read_text(encoding="utf-8"), path
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        _die(f"{path}: cannot read: {reason}")


def _load_policy(path: str, kind: PolicyKind) -> Policy:
    text, name = _read(path)
    try:
        return parse_policy(text, kind=kind, name=name)
    except PolicyError as e:
        where = e.location + (f" (line {e.line}, column {e.column})" if e.line else "")
        _die(f"{where}: {e.code}: {e.message}")


# ------------------------------------------------------------------------------------ eval-cases


@app.command("eval-cases")
def eval_cases(
    file: str = typer.Argument(
        ..., help="Case file (tests/data/iam-cases/README.md format), or - for stdin."
    ),
    check: bool = typer.Option(
        False, "--check", help="Also compare with each case's expected decision; exit 1 on a mismatch."
    ),
) -> None:
    """Evaluate every case of a case file; print one JSON object per line: {"id", "decision"}."""
    from podid.cli.iam_cases import CaseFileError, load_cases

    text, name = _read(file)
    try:
        cases = load_cases(text, name)
    except CaseFileError as e:
        _die(str(e))
    mismatches = 0
    for case in cases:
        decision = evaluate(case.request, case.policies)
        line: dict[str, Any] = {"id": case.id, "decision": decision.outcome}
        if check and case.expected is not None:
            line["expected"] = case.expected
            mismatches += decision.outcome != case.expected
        typer.echo(json.dumps(line))
    if check:
        typer.echo(f"{len(cases) - mismatches}/{len(cases)} cases match their expected decision", err=True)
        if mismatches:
            raise typer.Exit(1)


# -------------------------------------------------------------------------------------- simulate


def _context(items: Sequence[str]) -> dict[str, str | list[str]]:
    ctx: dict[str, str | list[str]] = {}
    canonical: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            _die(f"--context {item!r}: expected key=value, e.g. s3:prefix=reports/")
        name = canonical.setdefault(key.lower(), key)
        prev = ctx.get(name)
        if prev is None:
            ctx[name] = value
        elif isinstance(prev, list):
            prev.append(value)
        else:
            ctx[name] = [prev, value]
    return ctx


def _decision_json(request: Request, decision: Decision) -> dict[str, Any]:
    return {
        "decision": decision.outcome,
        "allowed": decision.allowed,
        "denied_in": decision.denied_in,
        "deciding": [
            {"kind": s.kind, "policy": s.policy, "index": s.index, "sid": s.sid, "effect": s.effect}
            for s in decision.deciding
        ],
        "message": None if decision.allowed else denial_message(request, decision),
        "request": {
            "principal": request.principal,
            "action": request.action,
            "resource": request.resource,
            "context": {k: list(v) if not isinstance(v, str) else v for k, v in request.context.items()},
        },
    }


@app.command()
def simulate(
    policy: list[str] = typer.Option(
        [], "--policy", "-p", help="Identity policy file (repeatable; - for stdin)."
    ),
    boundary: list[str] = typer.Option(
        [], "--boundary", help="Permissions boundary file (repeatable: together they form the boundary)."
    ),
    resource_policy: str | None = typer.Option(
        None, "--resource-policy", help="Resource-based policy file (bucket, queue, key...)."
    ),
    trust_policy: str | None = typer.Option(
        None, "--trust-policy", help="Role trust policy file (instead of --resource-policy)."
    ),
    session_policy: list[str] = typer.Option([], "--session-policy", help="Session policy file."),
    scp: list[str] = typer.Option(
        [], "--scp", help="Service control policy file (repeatable; one org level)."
    ),
    action: str = typer.Option(..., "--action", "-a", help="Action, e.g. s3:GetObject."),
    resource: str = typer.Option("*", "--resource", "-r", help="Resource ARN, or * for actions without one."),
    principal: str = typer.Option(
        DEFAULT_PRINCIPAL,
        "--principal",
        help="Caller ARN (or service principal / provider ARN with --principal-type).",
    ),
    principal_type: str = typer.Option(
        "AWS", "--principal-type", help="AWS | Service | Federated | CanonicalUser."
    ),
    resource_account: str | None = typer.Option(
        None, "--resource-account", help="Account owning the resource (default: the principal's)."
    ),
    context: list[str] = typer.Option(
        [], "--context", "-c", help="Condition key=value (repeat a key for a multivalued key)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON object instead of a table."),
) -> None:
    """Evaluate one request against the given policies and show the decision and why."""
    if ":" not in action:
        _die(f"--action {action!r}: expected service:Action, e.g. s3:GetObject")
    if principal_type not in ("AWS", "Service", "Federated", "CanonicalUser"):
        _die(f"--principal-type {principal_type!r}: expected AWS, Service, Federated or CanonicalUser")
    if resource_policy and trust_policy:
        _die("give --resource-policy or --trust-policy, not both")
    if sum(p == "-" for p in [*policy, *boundary, *session_policy, *scp, resource_policy, trust_policy]) > 1:
        _die("only one policy can be read from stdin (-)")
    identity = [_load_policy(p, "identity") for p in policy]
    res: Policy | None = None
    if resource_policy:
        res = _load_policy(resource_policy, "resource")
    elif trust_policy:
        res = _load_policy(trust_policy, "trust")
    policies = PolicySet(
        identity=identity,
        resource=res,
        boundary=[_load_policy(p, "boundary") for p in boundary] or None,
        session=[_load_policy(p, "session") for p in session_policy] or None,
        scp=[_load_policy(p, "scp") for p in scp] or None,
    )
    request = Request(
        principal=principal,
        action=action,
        resource=resource,
        context=_context(context),
        resource_account=resource_account,
        principal_type=principal_type,  # type: ignore[arg-type]
    )
    decision = evaluate(request, policies)
    result = _decision_json(request, decision)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    out = _out()
    style = "bold green" if decision.allowed else "bold red"
    summary = Table(show_header=False, box=None)
    summary.add_row("Decision", Text(decision.outcome, style=style))
    summary.add_row("Principal", Text(principal))
    summary.add_row("Action", Text(action))
    summary.add_row("Resource", Text(resource))
    if decision.denied_in:
        summary.add_row("Denied in", Text(decision.denied_in))
    out.print(summary)
    if decision.deciding:
        table = Table(title="Deciding statements")
        for col in ("Kind", "Policy", "Statement", "Sid", "Effect"):
            table.add_column(col)
        for s in decision.deciding:
            table.add_row(s.kind, Text(s.policy), str(s.index), Text(s.sid or "-"), s.effect)
        out.print(table)
    else:
        out.print(Text("No statement matched the request.", style="dim"))
    if not decision.allowed:
        out.print(Text(result["message"]))


# ----------------------------------------------------------------------------- validate and lint


def _report(results: list[tuple[str, list[Finding]]], fmt: str) -> None:
    if fmt == "json":
        payload = [
            {
                "file": name,
                "ok": not any(f.severity == "error" for f in findings),
                "findings": [finding_to_json(f) for f in findings],
            }
            for name, findings in results
        ]
        typer.echo(json.dumps({"files": payload}, indent=2))
        return
    out = _out()
    for name, findings in results:
        if not findings:
            out.print(Text.assemble((name, "bold"), ": ", ("OK", "green")))
            continue
        for f in findings:
            line = getattr(f, "line", None)
            where = f.location + (f" (line {line}, column {getattr(f, 'column', None)})" if line else "")
            out.print(
                Text.assemble(
                    (f"{f.severity:<7}", _STYLE.get(f.severity, "")), " ", (f.code, "bold"), f"  {where}"
                )
            )
            out.print(Text(f"        {f.message}"))


def _check_format(fmt: str) -> None:
    if fmt not in ("text", "json"):
        _die(f"--format {fmt!r}: expected text or json")


def _check_files(files: Sequence[str]) -> None:
    if sum(f == "-" for f in files) > 1:
        _die("- (stdin) can be given only once")


@app.command()
def validate(
    files: list[str] = typer.Argument(..., metavar="FILE...", help="Policy documents (JSON); - for stdin."),
    kind: str = typer.Option(
        "identity", "--kind", "-k", help="identity | resource | trust | boundary | scp | session | rcp."
    ),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json."),
) -> None:
    """Check policies as IAM does (IAM's own messages) plus catalogue warnings; exit 1 on errors.

    Unknown services and actions are reported as warnings from the action catalogue.
    """
    if kind not in VALIDATE_KINDS:
        _die(f"--kind {kind!r}: expected one of {', '.join(VALIDATE_KINDS)}")
    _check_format(fmt)
    _check_files(files)
    results: list[tuple[str, list[Finding]]] = []
    for path in files:
        text, name = _read(path)
        findings = validate_policy(text, kind=kind, name=name)  # type: ignore[arg-type]
        if not any(f.severity == "error" for f in findings):
            findings += catalogue_findings(parse_policy(text, kind=kind, name=name))  # type: ignore[arg-type]
        results.append((name, findings))
    _report(results, fmt)
    if any(f.severity == "error" for _, fs in results for f in fs):
        raise typer.Exit(1)


def guess_kind(text: str) -> PolicyKind:
    """identity, resource or trust, from the document's shape (Principal, sts:Assume*, Resource)."""
    try:
        doc = json.loads(text)
    except ValueError:
        return "identity"
    stmts = doc.get("Statement") if isinstance(doc, dict) else None
    stmts = [stmts] if isinstance(stmts, dict) else stmts if isinstance(stmts, list) else []
    stmts = [s for s in stmts if isinstance(s, dict)]
    if not any("Principal" in s or "NotPrincipal" in s for s in stmts):
        return "identity"
    no_resource = all("Resource" not in s and "NotResource" not in s for s in stmts)
    actions = [
        a
        for s in stmts
        for a in ([s.get("Action")] if isinstance(s.get("Action"), str) else s.get("Action") or [])
    ]
    if no_resource and any(isinstance(a, str) and a.lower().startswith("sts:") for a in actions):
        return "trust"
    return "resource"


_LINT_HELP = (
    "Least-privilege review of policy documents; exit 1 when a finding is at or above --fail-on. "
    "Validation errors and warnings are reported too.\n\nRules (code, severity):\n\n"
    + "\n\n".join(f"{code} ({sev}): {summary}" for code, (sev, summary) in RULES.items())
)


@app.command(help=_LINT_HELP, short_help="Least-privilege review of policy documents.")
def lint(
    files: list[str] = typer.Argument(..., metavar="FILE...", help="Policy documents (JSON); - for stdin."),
    kind: str = typer.Option(
        "auto",
        "--kind",
        "-k",
        help="auto (from the document's shape) | identity | resource | trust | boundary | scp | ...",
    ),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json."),
    fail_on: str = typer.Option(
        "error", "--fail-on", help="error | warning | never: lowest severity that fails."
    ),
) -> None:
    if kind != "auto" and kind not in VALIDATE_KINDS:
        _die(f"--kind {kind!r}: expected auto or one of {', '.join(VALIDATE_KINDS)}")
    if fail_on not in ("error", "warning", "never"):
        _die(f"--fail-on {fail_on!r}: expected error, warning or never")
    _check_format(fmt)
    _check_files(files)
    results: list[tuple[str, list[Finding]]] = []
    for path in files:
        text, name = _read(path)
        k = guess_kind(text) if kind == "auto" else kind
        results.append((name, lint_policy(text, kind=k, name=name)))  # type: ignore[arg-type]
    _report(results, fmt)
    if fail_on != "never":
        threshold = _SEVERITY_RANK[fail_on]
        if any(_SEVERITY_RANK.get(f.severity, 0) >= threshold for _, fs in results for f in fs):
            raise typer.Exit(1)
