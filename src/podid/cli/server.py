"""`podid up` (run the endpoint in the foreground) and `podid env` (print the shell environment).

``podid up --state DIR`` opens/migrates the store, ensures the admin user and its access key,
writes ``DIR/credentials`` and ``DIR/config`` (profile ``podid``, mode 0600) and, once the server
answers, ``DIR/env`` (``export AWS_ENDPOINT_URL=... AWS_PROFILE=podid ...``). It binds loopback
only unless ``--allow-remote`` is given. Ctrl-C / SIGTERM stop it cleanly (uvicorn's handlers).

The server never reads the user's AWS configuration: before anything imports botocore, moto or
localstack, :func:`isolate_aws_environment` drops every ambient ``AWS_*`` variable (a shell that
sourced another state's ``env`` points ``AWS_PROFILE`` at a profile that is gone), points the
config/credentials files at ``os.devnull`` and hides ``~/.aws/models`` and ``~/.boto``.

What the server is made of is decided in one place, :mod:`podid.compose` (imported once the
environment is isolated): every API's handlers, then each component's routes and hooks.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shlex
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer

DEFAULT_STATE = ".podid"
PROFILE = "podid"
SERVER_FILE = "server.json"
ENV_FILE = "env"

#: How long an idle client connection stays open. Longer than the clients' own idle-pool timeouts
#: (Go's net/http transport, hence the AWS SDK for Go v2 and the Terraform provider: 90 s), so the
#: client always closes first: with uvicorn's 5 s default, a client polling every 5 s (the Terraform
#: provider's SQS waiter) reused a connection the server was closing at that moment, and the request
#: failed and was retried.
KEEP_ALIVE_SECONDS = 120

#: The only AWS-related variables a `podid up` process runs with (every other ``AWS_*`` is dropped).
SERVER_AWS_ENV: dict[str, str] = {
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
    "BOTO_CONFIG": os.devnull,
}


def isolate_aws_environment() -> list[str]:
    """Cut this process off from the user's AWS configuration and credentials; returns the names of
    the variables dropped. Must run before botocore/boto3/moto/localstack build anything.

    Every ``AWS_*`` variable goes (profile, keys, endpoint URLs, region, retry mode, CA bundle, web
    identity, container credentials, FIPS/dual-stack...), then :data:`SERVER_AWS_ENV` is set; the
    botocore loader stops looking in ``~/.aws/models``. Pods are unaffected: the runtime starts them
    from an empty environment."""
    dropped = sorted(k for k in os.environ if k.startswith("AWS_") or k == "BOTO_CONFIG")
    for name in dropped:
        del os.environ[name]
    os.environ.update(SERVER_AWS_ENV)
    import botocore.loaders

    botocore.loaders.Loader.CUSTOMER_DATA_PATH = os.devnull  # default: ~/.aws/models, searched first
    return dropped


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def env_lines(info: dict[str, Any], state_dir: Path) -> str:
    """The ``export`` lines for a server described by ``server.json``."""
    values = [
        ("AWS_ENDPOINT_URL", info["url"]),
        ("AWS_SHARED_CREDENTIALS_FILE", str(state_dir / "credentials")),
        ("AWS_CONFIG_FILE", str(state_dir / "config")),
        ("AWS_PROFILE", PROFILE),
        ("AWS_REGION", info["region"]),
        ("AWS_DEFAULT_REGION", info["region"]),
    ]
    if info.get("kubeconfig"):
        values.append(("KUBECONFIG", info["kubeconfig"]))
    return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in values)


def write_client_files(state_dir: Path, akid: str, secret: str, region: str, url: str) -> None:
    _write_private(state_dir / "credentials",
                   f"[{PROFILE}]\naws_access_key_id = {akid}\naws_secret_access_key = {secret}\n")
    _write_private(state_dir / "config",
                   f"[profile {PROFILE}]\nregion = {region}\noutput = json\nendpoint_url = {url}\n"
                   "s3 =\n    addressing_style = path\n")


def _announce_when_ready(server: Any, state_dir: Path, info: dict[str, Any]) -> None:
    for _ in range(1200):  # 60 s at most
        if server.should_exit:
            return
        if server.started:
            _write_private(state_dir / ENV_FILE, env_lines(info, state_dir))
            typer.echo(f"podid listening on {info['url']} (account {info['account_id']}, region "
                       f"{info['region']}); run: source {shlex.quote(str(state_dir / ENV_FILE))}", err=True)
            return
        time.sleep(0.05)


def up(
    state: Annotated[Path, typer.Option("--state", help="State directory.")] = Path(DEFAULT_STATE),
    host: Annotated[str, typer.Option(
        help="Address to bind (loopback only unless --allow-remote).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 4566,
    account_id: Annotated[str, typer.Option(
        "--account-id", help="The emulated AWS account.")] = "111122223333",
    region: Annotated[str, typer.Option(help="Default region.")] = "us-east-1",
    db: Annotated[str | None, typer.Option(help="Database URL (default sqlite:///STATE/podid.db).")] = None,
    allow_remote: Annotated[bool, typer.Option("--allow-remote",
                                               help="Allow binding a non-loopback address.")] = False,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "warning",
    mode: Annotated[str, typer.Option(
        "--mode", help="enforce: deny what IAM denies; record: allow data-plane calls IAM would deny "
        "and log them in the audit log as 'would be denied: needs ...'.")] = "enforce",
    cluster: Annotated[list[str] | None, typer.Option(
        "--cluster", help="Create this EKS cluster if absent (repeatable).")] = None,
    kube_port: Annotated[int | None, typer.Option(
        "--kube-port", help="TLS port of the clusters' Kubernetes API (default: --port + 1; 0: any free "
        "port).")] = None,
    data_durability: Annotated[str, typer.Option(
        "--data-durability", help="sync: a data-plane write (S3 object, secret, queue...) is on disk "
        "before it is acknowledged; async: snapshots are written in the background (faster writes, a "
        "crash may lose the last ~50 ms; a clean stop loses nothing).")] = "sync",
    node_role: Annotated[str | None, typer.Option(
        "--node-role", help="Serve this IAM role (name or ARN; it must trust ec2.amazonaws.com) to pods "
        "through an IMDSv2 endpoint, like an EKS node's instance profile: pods without Pod Identity or "
        "IRSA then fall back to it.")] = None,
    issuer_tls: Annotated[bool, typer.Option(
        "--issuer-tls/--issuer-http", help="--issuer-tls (the default): the clusters' OIDC issuers are "
        "https:// URLs, as on EKS, served on the Kubernetes port with the local CA in the state dir "
        "(ca.crt); --issuer-http: plain http:// issuers on --port (tools that insist on https, such as "
        "Terraform's aws_iam_openid_connect_provider, then refuse them).")] = True,
    node_agent: Annotated[bool, typer.Option(
        "--node-agent/--no-node-agent", help="Run each cluster's eks-pod-identity-agent in this process "
        "while the add-on exists; --no-node-agent when `podid agent` runs on your own nodes.")] = True,
    tls_port: Annotated[int | None, typer.Option(
        "--tls-port", help="Also serve the AWS endpoint over https on this port (certificate from the local "
        "CA, STATE/ca.crt), for clients that must reach AWS over TLS, such as `podid broker`.")] = None,
) -> None:
    """Run the podid AWS endpoint in the foreground."""
    ignored = isolate_aws_environment()
    if ignored:
        typer.echo(f"podid up ignores {', '.join(ignored)} from the environment (the server never reads "
                   "your AWS configuration or credentials)", err=True)
    if not is_loopback(host) and not allow_remote:
        typer.echo(f"refusing to bind {host}: not a loopback address (use --allow-remote to expose podid "
                   "to the network)", err=True)
        raise typer.Exit(2)
    if mode not in ("enforce", "record"):
        typer.echo("--mode must be enforce or record", err=True)
        raise typer.Exit(2)
    if data_durability not in ("sync", "async"):
        typer.echo("--data-durability must be sync or async", err=True)
        raise typer.Exit(2)
    if not (account_id.isdigit() and len(account_id) == 12):
        typer.echo("--account-id must be 12 digits", err=True)
        raise typer.Exit(2)
    import uvicorn

    from podid.auth.tokens import TokenCodec
    from podid.compose import install_components
    from podid.gateway.app import build_app
    from podid.gateway.audit import AuditWriter
    from podid.gateway.state import AppState, ClusterOptions, Config
    from podid.store import Store, default_url

    state_dir = state.resolve()
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    (state_dir / ENV_FILE).unlink(missing_ok=True)
    config = Config(state_dir=state_dir, account_id=account_id, region=region, host=host, port=port,
                    db_url=db, mode=mode, durability=data_durability)
    store = Store.open(db or default_url(state_dir))
    admin = store.bootstrap_admin(account_id)
    write_client_files(state_dir, admin.access_key_id, admin.secret_access_key, region, config.url)
    info = {"url": config.url, "host": host, "port": port, "region": region, "account_id": account_id,
            "pid": os.getpid()}
    _write_private(state_dir / SERVER_FILE, json.dumps(info, indent=2) + "\n")
    tokens = TokenCodec.open(state_dir)
    tokens.prune()
    app_state = AppState(config=config, store=store, tokens=tokens, audit=AuditWriter.open(state_dir))
    app_state.cluster = ClusterOptions(kube_host=host, kube_port=kube_port, node_agent=node_agent,
                                       node_role=node_role, issuer_tls=issuer_tls)
    install_components(app_state)
    info.update(app_state.server_info)
    _write_private(state_dir / SERVER_FILE, json.dumps(info, indent=2) + "\n")
    if cluster:
        from podid.eks.server import ensure_clusters

        ensure_clusters(app_state, cluster)
    app = build_app(app_state)
    tls_listener = _tls_listener(app, state_dir, host, tls_port) if tls_port is not None else None
    if tls_listener is not None:
        info["tls_url"] = tls_listener.url
        info["ca_bundle"] = str(state_dir / "ca.crt")
        _write_private(state_dir / SERVER_FILE, json.dumps(info, indent=2) + "\n")
    class _Server(uvicorn.Server):
        """uvicorn re-raises SIGINT/SIGTERM after its graceful shutdown; podid exits 0 instead."""

        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            captured = getattr(self, "_captured_signals", None)
            if isinstance(captured, list):
                captured.clear()

    server = _Server(uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False,
                                    lifespan="on", server_header=False,
                                    timeout_keep_alive=KEEP_ALIVE_SECONDS))
    watcher = threading.Thread(target=_announce_when_ready, args=(server, state_dir, info), daemon=True)
    watcher.start()
    try:
        server.run()
    finally:
        if tls_listener is not None:
            tls_listener.stop()
        (state_dir / ENV_FILE).unlink(missing_ok=True)
        store.close()


def _tls_listener(app: Any, state_dir: Path, host: str, port: int) -> Any:
    """The AWS endpoint's https listener (``--tls-port``), started."""
    from podid.cluster.pki import cert_paths, load_or_create
    from podid.gateway.listener import ThreadedListener, bind

    load_or_create(state_dir)
    listener = ThreadedListener(app, bind(host, port), "aws-tls", tls=cert_paths(state_dir))
    listener.start()
    return listener


def env(
    state: Annotated[Path, typer.Option("--state", help="State directory.")] = Path(DEFAULT_STATE),
) -> None:
    """Print the shell environment (export lines) for a podid started with --state."""
    state_dir = state.resolve()
    try:
        info = json.loads((state_dir / SERVER_FILE).read_text())
    except FileNotFoundError:
        typer.echo(f"no podid state in {state_dir} (run: podid up --state {state})", err=True)
        raise typer.Exit(1) from None
    typer.echo(env_lines(info, state_dir), nl=False)


def register(app: typer.Typer) -> None:
    """Add the top-level ``up`` and ``env`` commands."""
    app.command("up")(up)
    app.command("env")(env)
