"""`podid access-matrix`: what every ServiceAccount with an AWS identity may do, cell by cell.

Owns the command-line edge of `podid.matrix`: options, the boto3 session (profile, region,
endpoint URL: podid or real AWS), output format and file, `--against` and exit codes
(0 done; 1 `--against` found changes and `--fail-on-change` was given; 2 bad input or AWS
unreachable).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console

from podid.matrix import cells as matrix_cells
from podid.matrix import html as matrix_html
from podid.matrix import report as matrix_report
from podid.matrix.collect import DEFAULT_SERVICES, Clients, collect
from podid.matrix.group import rows as group_rows
from podid.matrix.table import print_changes, print_report

FORMATS = ("table", "json", "html")


def _die(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def access_matrix(
    cluster: Annotated[str, typer.Option("--cluster", help="EKS cluster name.")],
    fmt: Annotated[str, typer.Option("--format", help="table | json | html.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
    against: Annotated[Path | None, typer.Option(
        "--against", help="A previous --format json report: show the cells whose decision changed.")] = None,
    endpoint_url: Annotated[str | None, typer.Option("--endpoint-url", help="AWS endpoint (podid's URL).")]
    = None,
    profile: Annotated[str | None, typer.Option("--profile", help="AWS profile.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="AWS region.")] = None,
    kubeconfig: Annotated[str | None, typer.Option(
        "--kubeconfig", help="kubeconfig for IRSA ServiceAccounts.")] = None,
    context: Annotated[str | None, typer.Option(
        "--context", help="kubeconfig context (default: the cluster's name, else the current one).")
    ] = None,
    service: Annotated[list[str] | None, typer.Option(
        "--service", help="IAM service prefix to include (repeatable).")] = None,
    max_objects: Annotated[int, typer.Option("--max-objects", help="S3 objects per bucket.")] = 100,
    show_denied: Annotated[bool, typer.Option("--show-denied", help="Table: also implicit denies.")] = False,
    irsa: Annotated[bool, typer.Option("--irsa/--no-irsa", help="Read IRSA ServiceAccounts.")] = True,
    fail_on_change: Annotated[bool, typer.Option("--fail-on-change", help="Exit 1 when --against differs.")]
    = False,
) -> None:
    """Decide every catalogue action on every resource (and *) for every ServiceAccount with an identity."""
    if fmt not in FORMATS:
        _die(f"--format must be one of {', '.join(FORMATS)}")
    old = None
    if against is not None:
        try:
            old = matrix_report.cells_of(json.loads(against.read_text()))
        except (OSError, ValueError) as exc:
            _die(f"cannot read {against}: {exc}")
    services = [s.lower() for s in (service or DEFAULT_SERVICES)]
    try:
        inv = collect(Clients(profile=profile, region=region, endpoint_url=endpoint_url), cluster,
                      kubeconfig=kubeconfig, context=context, services=services, max_objects=max_objects,
                      irsa=irsa)
    except (ClientError, BotoCoreError) as exc:
        _die(str(exc))
    computed = matrix_cells.compute(inv, services)
    folded = group_rows(computed, {i.key: i.role_arn for i in inv.identities})
    report = matrix_report.build(inv, computed, folded)
    changes = matrix_report.diff(old, computed) if old is not None else None
    if changes is not None:
        report["changes"] = [c.to_json() for c in changes]
    if fmt == "table":
        sink = output.open("w") if output else None
        console = Console(soft_wrap=True, highlight=False, emoji=False, width=200, file=sink)
        if changes is not None:
            print_changes(console, changes)
        else:
            print_report(console, report, show_denied=show_denied)
        if sink is not None:
            sink.close()
    else:
        text = json.dumps(report, indent=2) + "\n" if fmt == "json" else matrix_html.render(report)
        if output is not None:
            output.write_text(text)
        else:
            typer.echo(text, nl=False)
    if fail_on_change and changes:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("access-matrix")(access_matrix)
