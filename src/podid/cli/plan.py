"""`podid plan -f main.tf`: the AWS and Kubernetes objects a Terraform configuration would create and
the lint findings of every policy and trust policy in it, without applying anything and without any
provider (seed 000's review step). Exit 0: no finding at or above ``--fail-on``; 1: findings; 2: bad
input (a missing file, HCL that does not parse)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from podid.iam.lint import finding_to_json
from podid.tfplan import Plan, plan_configuration
from podid.tfplan.resources import Account

_SEVERITY_RANK = {"warning": 1, "error": 2}


def _die(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _files(paths: list[Path]) -> dict[str, str]:
    """Each ``-f`` is a ``.tf`` file or a directory (its ``*.tf``, as Terraform reads a module)."""
    out: dict[str, str] = {}
    for path in paths:
        found = sorted(path.glob("*.tf")) if path.is_dir() else [path]
        if path.is_dir() and not found:
            _die(f"{path}: no *.tf files in this directory")
        for file in found:
            try:
                out[str(file)] = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                _die(f"{file}: {e.strerror if isinstance(e, OSError) and e.strerror else e}")
    return out


def _variables(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            _die(f"--var {pair!r}: expected NAME=VALUE")
        out[name] = value
    return out


def _print(plan: Plan) -> None:
    services = sorted({o.service or "other" for o in plan.objects})
    per = [o.service or "other" for o in plan.objects]
    counts = ", ".join(f"{s}: {per.count(s)}" for s in services)
    typer.echo(f"Plan: {len(plan.objects)} to add ({counts})" if plan.objects else "Plan: nothing to add")
    width = max((len(o.address) for o in plan.objects), default=0)
    for o in plan.objects:
        kind = f"{o.service} {o.kind}".strip()
        typer.echo(f"  + {o.address:<{width}}  {kind:<28} {o.label}")
    if not plan.policies:
        return
    typer.echo(f"\nPolicies ({len(plan.policies)}), linted:")
    for p in plan.policies:
        note = f" [{p.unknown}]" if p.unknown else ""
        typer.echo(f"  {p.address} ({p.kind}){note}: " + ("no findings" if not p.findings and p.document
                                                        else "" if p.findings else "not linted"))
        for f in p.findings:
            typer.echo(f"    {f.severity} {f.code} {f.location}: {f.message}")


def register(app: typer.Typer) -> None:
    """Add the top-level `plan` command to the podid CLI."""

    @app.command("plan")
    def plan(
        files: Annotated[list[Path], typer.Option("--file", "-f", help="A .tf file or a module directory "
                                                  "(repeatable).")],
        var: Annotated[list[str] | None, typer.Option("--var", help="NAME=VALUE for a variable "
                                                      "(repeatable); others take their default.")] = None,
        account_id: Annotated[str, typer.Option("--account-id",
                                                help="The account ARNs name.")] = "111122223333",
        region: Annotated[str, typer.Option("--region", help="The region ARNs name.")] = "us-east-1",
        output: Annotated[str, typer.Option("--output", "-o", help="text | json.")] = "text",
        fail_on: Annotated[str, typer.Option("--fail-on", help="error | warning | never: lowest finding "
                                             "severity that exits 1.")] = "error",
    ) -> None:
        """Without applying: the objects the HCL creates and the lint findings of its policies."""
        if output not in ("text", "json"):
            _die(f"--output {output!r}: expected text or json")
        if fail_on not in ("error", "warning", "never"):
            _die(f"--fail-on {fail_on!r}: expected error, warning or never")
        for path in files:
            if not path.exists():
                _die(f"{path}: no such file or directory")
        result = plan_configuration(_files(files), account=Account(account_id, region),
                                    variables=_variables(var or []))
        if result.errors:
            for error in result.errors:
                typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2)
        if output == "json":
            payload = result.to_json()
            for p, planned in zip(payload["policies"], result.policies, strict=True):
                p["findings"] = [finding_to_json(f) for f in planned.findings]
            typer.echo(json.dumps(payload, indent=2))
        else:
            _print(result)
        if fail_on != "never":
            worst = max((_SEVERITY_RANK.get(f.severity, 0) for p in result.policies for f in p.findings),
                        default=0)
            if worst >= _SEVERITY_RANK[fail_on]:
                raise typer.Exit(1)
