"""`podid verify`: seed 000's checklist for one workload (or `--all` of a cluster), against `podid up`
or a real EKS cluster + AWS account (boto3 with --profile/--region/--endpoint-url or the environment;
the kubernetes client with --kubeconfig/--context or $KUBECONFIG). Exit 0 when no check fails,
1 when one does, 2 for bad input."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from podid.verify.aws import AwsReadError, AwsView
from podid.verify.context import VerifyContext
from podid.verify.formats import print_table, to_json, to_junit
from podid.verify.kube import KubeReadError, KubeView
from podid.verify.model import Target
from podid.verify.probe import DEFAULT_IMAGE
from podid.verify.run import verify_all, verify_target


def _prefix(value: str | None) -> str | None:
    return None if value is None else value.strip("/") + "/" if value.strip("/") else ""


def register(app: typer.Typer) -> None:
    """Add the top-level `verify` command to the podid CLI."""

    @app.command("verify")
    def verify(
        cluster: Annotated[str, typer.Option("--cluster", help="EKS cluster name.")],
        namespace: Annotated[str | None, typer.Option("--namespace", "-n")] = None,
        service_account: Annotated[str | None, typer.Option("--service-account")] = None,
        bucket: Annotated[str | None, typer.Option("--bucket", help="The bucket the workload reads.")] = None,
        allowed_prefix: Annotated[str | None, typer.Option("--allowed-prefix")] = None,
        blocked_prefix: Annotated[str | None, typer.Option("--blocked-prefix")] = None,
        every: Annotated[bool, typer.Option("--all",
                                            help="Every association and IRSA ServiceAccount.")] = False,
        kubeconfig: Annotated[str | None, typer.Option("--kubeconfig")] = None,
        context: Annotated[str | None, typer.Option("--context", help="kubeconfig context.")] = None,
        profile: Annotated[str | None, typer.Option("--profile", help="AWS profile.")] = None,
        region: Annotated[str | None, typer.Option("--region")] = None,
        endpoint_url: Annotated[str | None, typer.Option("--endpoint-url", help="AWS endpoint "
                                                         "(default: $AWS_ENDPOINT_URL, else AWS).")] = None,
        fmt: Annotated[str, typer.Option("--format", "-o", help="table | json | junit.")] = "table",
        probes: Annotated[bool, typer.Option("--probes/--no-probes", help="Run the probe pods "
                                             "(checks 5-8).")] = True,
        image: Annotated[str, typer.Option("--image",
                                           help="Probe pod image (has the aws CLI).")] = DEFAULT_IMAGE,
        verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                              help="Evidence of passing checks too.")] = False,
    ) -> None:
        """Seed 000's eight checks for a workload's AWS identity, with evidence and fix hints."""
        if fmt not in ("table", "json", "junit"):
            raise typer.BadParameter(f"{fmt!r}: expected table, json or junit", param_hint="--format")
        if not every and not (namespace and service_account):
            raise typer.BadParameter("give --namespace and --service-account, or --all",
                                     param_hint="--service-account")
        try:
            kube = KubeView.connect(kubeconfig, context)
        except Exception as e:  # kubernetes.config raises ConfigException and plain OSErrors
            typer.echo(f"error: kubeconfig: {e}", err=True)
            raise typer.Exit(2) from e
        ctx = VerifyContext(AwsView(profile, endpoint_url, region), kube, image=image)
        allowed, blocked = _prefix(allowed_prefix), _prefix(blocked_prefix)
        try:
            if every:
                report = verify_all(ctx, cluster, bucket, allowed, blocked, probes=probes)
            else:
                assert namespace and service_account
                report = verify_target(ctx, Target(cluster, namespace, service_account, bucket, allowed,
                                                   blocked), probes=probes)
        except (AwsReadError, KubeReadError) as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(2) from e
        if fmt == "json":
            typer.echo(to_json(report))
        elif fmt == "junit":
            typer.echo(to_junit(report))
        else:
            print_table(report, Console(width=140), verbose=verbose)
        if report.failed:
            raise typer.Exit(1)
