"""The `podid` command line: one Typer app, one sub-app per command group.

Each group lives in its own module (`podid.cli.<group>`) and is mounted here; a group whose
module is missing is simply not listed, so components can land one at a time.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="podid",
    help="Per-workload AWS identity for Kubernetes: EKS Pod Identity and IRSA, judged like AWS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# (module, attribute, group name or None for top-level commands)
_GROUPS: list[tuple[str, str, str | None]] = [
    ("podid.cli.iam", "app", "iam"),
    ("podid.cli.server", "register", None),
    ("podid.cli.audit", "app", "audit"),
    ("podid.cli.agent", "register", None),
    ("podid.cli.terraform", "app", "terraform"),
]


def _mount() -> None:
    for module_name, attr, group in _GROUPS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        target = getattr(module, attr)
        if group is None:
            target(app)
        else:
            app.add_typer(target, name=group)


_mount()


@app.callback()
def _root() -> None:
    """podid command groups."""


def main() -> None:
    app()
