"""`podid agent`: the node agent (podid's eks-pod-identity-agent `server` command).

Unlike `podid up`, the agent legitimately uses the node's AWS configuration, like the Go agent's
`config.LoadDefaultConfig`: credentials from boto3's default chain (AWS_ACCESS_KEY_ID/...,
AWS_PROFILE with AWS_CONFIG_FILE/AWS_SHARED_CREDENTIALS_FILE or ~/.aws, web identity, container
credentials, IMDS), the region from `--region`, else AWS_REGION, else the profile, and the EKS
Auth endpoint from `--endpoint`, else AWS_ENDPOINT_URL_EKS_AUTH / AWS_ENDPOINT_URL, else AWS.
A configuration botocore cannot load (e.g. AWS_PROFILE naming a missing profile) is a usage error
(exit 2), not a traceback.
"""

from __future__ import annotations

import logging
import re

import typer

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Go `time.ParseDuration` subset (`3h`, `1h30m`, `90s`, `0`) -> seconds."""
    text = text.strip()
    if text in ("0", ""):
        return 0.0
    pos, total = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or pos == 0:
        raise typer.BadParameter(f"invalid duration {text!r} (e.g. 3h, 90m, 1h30m)")
    return total


def register(app: typer.Typer) -> None:
    """Add the top-level `agent` command to the podid CLI."""

    @app.command("agent")
    def agent(
        cluster_name: str = typer.Option(
            ..., "--cluster-name", "-c", help="Cluster the agent serves (required)."
        ),
        port: int = typer.Option(2703, "--port", "-p", help="Credential port on the bind hosts."),
        bind_hosts: str = typer.Option(
            "127.0.0.1,::1", "--bind-hosts", "-b", help="Comma-separated credential listen addresses."
        ),
        link_local: bool = typer.Option(
            False,
            "--link-local/--no-link-local",
            help="Also serve 169.254.170.23:80 and \\[fd00:ec2::23]:80 where bindable (as EKS does).",
        ),
        probe_port: int = typer.Option(
            2704, "--probe-port", help="/healthz, /readyz, /status port (0: off)."
        ),
        metrics_port: int = typer.Option(2705, "--metrics-port", help="Prometheus /metrics port (0: off)."),
        metrics_address: str = typer.Option("127.0.0.1", "--metrics-address", help="Metrics listen address."),
        endpoint: str | None = typer.Option(
            None, "--endpoint", help="EKS Auth endpoint URL (default: AWS_ENDPOINT_URL_EKS_AUTH, else AWS)."
        ),
        renewal: str = typer.Option(
            "3h",
            "--max-credential-retention-before-renewal",
            help="Renew cached credentials after at most this long (0: no cache).",
        ),
        max_cache_size: int = typer.Option(
            2000, "--max-cache-size", help="Cached tokens at most (0: no cache)."
        ),
        max_service_qps: float = typer.Option(
            3.0, "--max-service-qps", help="Background renewals per second."
        ),
        region: str | None = typer.Option(
            None, "--region", help="AWS region (default: AWS_REGION / profile)."
        ),
        heartbeat_url: str | None = typer.Option(
            None, "--heartbeat-url", help="POST the agent status (JSON) here every --heartbeat-interval."
        ),
        heartbeat_interval: float = typer.Option(
            30.0, "--heartbeat-interval", help="Seconds between heartbeats."
        ),
        heartbeat_sign: bool = typer.Option(
            True,
            "--heartbeat-sign/--no-heartbeat-sign",
            help="SigV4-sign heartbeats with the node credentials.",
        ),
        log_level: str = typer.Option("info", "--log-level", help="debug, info, warning, error."),
    ) -> None:
        """Serve pod credentials on /v1/credentials, exchanging service-account tokens via EKS Auth."""
        from podid.agent import AgentConfig, EksAuthUpstream, HttpHeartbeat, run

        logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        hosts = tuple(h.strip() for h in bind_hosts.split(",") if h.strip())
        from botocore.exceptions import BotoCoreError

        try:
            upstream = EksAuthUpstream(region=region, endpoint_url=endpoint)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--region") from None
        except BotoCoreError as exc:
            typer.echo(f"podid agent: cannot load the node's AWS configuration: {exc}", err=True)
            raise typer.Exit(2) from None
        config = AgentConfig(
            cluster_name=cluster_name,
            port=port,
            bind_hosts=hosts,
            link_local=link_local,
            probe_port=probe_port or None,
            metrics_port=metrics_port or None,
            metrics_host=metrics_address,
            renewal_ttl=parse_duration(renewal),
            max_cache_size=max_cache_size,
            refresh_qps=max_service_qps,
            heartbeat_interval=heartbeat_interval,
        )
        heartbeat = None
        if heartbeat_url:
            import boto3

            heartbeat = HttpHeartbeat(
                heartbeat_url, region=upstream.region, sign_with=boto3.Session() if heartbeat_sign else None
            )
        typer.echo(f"podid agent: cluster {cluster_name}, EKS Auth {upstream.endpoint_url}", err=True)
        run(config, upstream, heartbeat=heartbeat)
