"""The `podid` command line: one Typer app, one sub-app per command group.

Each group lives in its own module (`podid.cli.<group>`) and is mounted here.
"""

from __future__ import annotations

import typer

from podid.cli import (
    agent,
    audit,
    broker,
    eksctl,
    iam,
    irsa,
    matrix,
    plan,
    policy,
    server,
    terraform,
    verify,
    webhook,
)

app = typer.Typer(
    name="podid",
    help="Per-workload AWS identity for Kubernetes: EKS Pod Identity and IRSA, judged like AWS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.add_typer(iam.app, name="iam")
server.register(app)
app.add_typer(audit.app, name="audit")
agent.register(app)
broker.register(app)
plan.register(app)
app.add_typer(terraform.app, name="terraform")
app.add_typer(irsa.app, name="irsa")
matrix.register(app)
verify.register(app)
app.add_typer(policy.app, name="policy")
app.add_typer(eksctl.app, name="eksctl")
webhook.register(app)


@app.callback()
def _root() -> None:
    """podid command groups."""


def main() -> None:
    app()
