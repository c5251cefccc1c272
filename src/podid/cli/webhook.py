"""`podid webhook`: the Pod Identity + IRSA mutating admission webhook for a real cluster.

Runs in the cluster as a Deployment behind a Service (or anywhere the API server can reach over
HTTPS). Flags mirror amazon-eks-pod-identity-webhook's where it has one (`--port`, `--tls-cert`,
`--tls-key`, `--annotation-prefix`, `--token-audience`, `--token-mount-path`, `--token-expiration`,
`--aws-default-region`, `--sts-regional-endpoint`, `--kubeconfig`, `--namespace`,
`--service-name`, `--cert-dir`). ServiceAccounts come from the cluster's API server (in-cluster
by default, or `--kubeconfig`/`--context`), associations from an EKS API with boto3's default
credential chain (`--region`, `--eks-endpoint`, `--ca-bundle` as for `podid broker`).
"""

from __future__ import annotations

import json
import logging
import os
import ssl
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add the top-level `webhook` command to the podid CLI."""

    @app.command("webhook")
    def webhook(
        cluster_name: str = typer.Option(..., "--cluster-name", "-c",
                                         help="The cluster whose associations apply (required)."),
        host: str = typer.Option("0.0.0.0", "--host", help="Listen address."),
        port: int = typer.Option(443, "--port", help="HTTPS listen port."),
        tls_cert: Path | None = typer.Option(None, "--tls-cert-file", "--tls-cert",
                                             help="Serving certificate chain (PEM)."),
        tls_key: Path | None = typer.Option(None, "--tls-key-file", "--tls-key",
                                            help="Key of --tls-cert-file."),
        self_signed: bool = typer.Option(
            False, "--self-signed", help="Generate a CA and a serving certificate into --cert-dir (ca.crt is "
            "the MutatingWebhookConfiguration's caBundle)."),
        cert_dir: Path = typer.Option(Path("/etc/webhook/certs"), "--cert-dir",
                                      help="With --self-signed: where ca.crt, tls.crt, tls.key are written."),
        tls_sans: list[str] = typer.Option(
            [], "--tls-san", help="With --self-signed: a DNS name or IP of the certificate (repeatable; "
            "default: the Service's DNS names, localhost and 127.0.0.1)."),
        service_name: str = typer.Option("podid-webhook", "--service-name",
                                         help="The Service fronting the webhook."),
        namespace: str = typer.Option("podid", "--namespace", help="The namespace of the webhook's Service."),
        webhook_config: Path | None = typer.Option(
            None, "--webhook-config", help="With --self-signed: write a MutatingWebhookConfiguration for the "
            "Service (caBundle filled) to this file."),
        annotation_prefix: str = typer.Option("eks.amazonaws.com", "--annotation-prefix",
                                              help="The ServiceAccount annotation domain."),
        token_audience: str = typer.Option("sts.amazonaws.com", "--token-audience",
                                           help="Default audience of IRSA tokens."),
        token_mount_path: str = typer.Option("/var/run/secrets/eks.amazonaws.com/serviceaccount",
                                             "--token-mount-path", help="Where IRSA tokens are mounted."),
        token_expiration: int = typer.Option(86400, "--token-expiration",
                                             help="Default token lifetime in seconds (>= 600)."),
        aws_default_region: str | None = typer.Option(
            None, "--aws-default-region", help="Set AWS_DEFAULT_REGION and AWS_REGION in mutated pods."),
        sts_regional_endpoint: bool = typer.Option(
            False, "--sts-regional-endpoint",
            help="Set AWS_STS_REGIONAL_ENDPOINTS=regional in mutated pods."),
        namespace_exclude: list[str] = typer.Option(
            ["kube-system"], "--namespace-exclude",
            help="Pods of this namespace are admitted unchanged (repeatable; '' for none)."),
        agent_daemonset: str = typer.Option(
            "kube-system/eks-pod-identity-agent", "--agent-daemonset",
            help="NAMESPACE/NAME of the Pod Identity agent DaemonSet; pods with an association get a "
            "warning while it is missing."),
        agent_check: bool = typer.Option(True, "--agent-check/--no-agent-check",
                                         help="Look the agent DaemonSet up (off: assume it runs)."),
        kubeconfig: Path | None = typer.Option(None, "--kubeconfig",
                                               help="Kubeconfig (default: in-cluster)."),
        kube_context: str | None = typer.Option(None, "--context", help="Context of --kubeconfig."),
        region: str | None = typer.Option(
            None, "--region", help="Region of the EKS API (default: AWS_REGION, else --aws-default-region)."),
        eks_endpoint: str | None = typer.Option(None, "--eks-endpoint", help="EKS API endpoint URL."),
        associations: str = typer.Option(
            "eks", "--associations", help="Where Pod Identity associations come from: eks (the EKS API) or "
            "crd (PodIdentityAssociation objects in the cluster; needs --cluster-arn, no AWS access)."),
        cluster_arn: str | None = typer.Option(
            None, "--cluster-arn", help="The cluster's ARN (arn:aws:eks:REGION:ACCOUNT:cluster/NAME), "
            "for --associations crd."),
        ca_bundle: Path | None = typer.Option(None, "--ca-bundle", help="CA bundle for the EKS API."),
        log_level: str = typer.Option("info", "--log-level", help="debug, info, warning, error."),
    ) -> None:
        """Serve the mutating admission webhook (POST /mutate, /healthz, /readyz, /metrics) over HTTPS:
        IRSA from ServiceAccount annotations, Pod Identity from CLUSTER's associations."""
        import boto3
        import uvicorn
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError
        from kubernetes.config import ConfigException

        from podid.broker import AssociationSource, CrdAssociations, EksAssociations
        from podid.kubeclient import kube_api_client
        from podid.tls import LOOPBACK_HOSTS
        from podid.webhook import WebhookConfig, build_webhook_tls, mutating_webhook_configuration
        from podid.webhook.config import MIN_TOKEN_EXPIRATION
        from podid.webhook.resolvers import AgentDaemonSet, KubeResolver
        from podid.webhook.server import build_webhook_app

        logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        if self_signed and (tls_cert or tls_key):
            raise typer.BadParameter("give either --self-signed or --tls-cert-file with --tls-key-file",
                                     param_hint="--self-signed")
        if not self_signed and (tls_cert is None or tls_key is None):
            raise typer.BadParameter(
                "the API server calls webhooks over HTTPS only: give --tls-cert-file and --tls-key-file "
                "together, or --self-signed", param_hint="--tls-cert-file/--tls-key-file")
        for path, hint in ((tls_cert, "--tls-cert-file"), (tls_key, "--tls-key-file")):
            if path is not None and not path.is_file():
                raise typer.BadParameter(f"{path} is not a readable file", param_hint=hint)
        if webhook_config is not None and not self_signed:
            raise typer.BadParameter("--webhook-config needs --self-signed (the caBundle it fills)",
                                     param_hint="--webhook-config")
        if token_expiration < MIN_TOKEN_EXPIRATION:
            raise typer.BadParameter(f"must be at least {MIN_TOKEN_EXPIRATION} seconds",
                                     param_hint="--token-expiration")
        if not 0 < port < 65536:
            raise typer.BadParameter("must be 1-65535", param_hint="--port")
        try:
            agent = AgentDaemonSet.parse(agent_daemonset) if agent_check else None
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--agent-daemonset") from None
        if associations not in ("eks", "crd"):
            raise typer.BadParameter(f"{associations!r} is not one of 'eks', 'crd'",
                                     param_hint="--associations")
        if associations == "crd" and not (cluster_arn or "").startswith("arn:"):
            raise typer.BadParameter("--associations crd needs --cluster-arn arn:aws:eks:REGION:ACCOUNT:"
                                     "cluster/NAME", param_hint="--cluster-arn")
        if associations == "crd" and not region:
            region = (cluster_arn or "").split(":")[3] if (cluster_arn or "").count(":") >= 5 else None
        region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") \
            or aws_default_region
        if not region:
            raise typer.BadParameter("no region for the EKS API: give --region or set AWS_REGION",
                                     param_hint="--region")

        try:
            api = kube_api_client(str(kubeconfig) if kubeconfig else None, kube_context)
        except (ConfigException, OSError, ValueError) as exc:
            typer.echo(f"podid webhook: cannot load the Kubernetes configuration: {exc}", err=True)
            raise typer.Exit(2) from None
        try:
            eks = boto3.Session(region_name=region).client(
                "eks", region_name=region, endpoint_url=eks_endpoint,
                verify=str(ca_bundle) if ca_bundle else None,
                config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=2,
                              read_timeout=4))
        except (BotoCoreError, ValueError) as exc:
            typer.echo(f"podid webhook: cannot use the AWS configuration: {exc}", err=True)
            raise typer.Exit(2) from None

        if self_signed:
            svc = f"{service_name}.{namespace}"
            sans = tls_sans or [service_name, svc, f"{svc}.svc", f"{svc}.svc.cluster.local", *LOOPBACK_HOSTS]
            try:
                files = build_webhook_tls(sans).write(cert_dir)
            except (OSError, ValueError) as exc:
                raise typer.BadParameter(f"cannot write the certificate: {exc}", param_hint="--cert-dir") \
                    from None
            tls_cert, tls_key = files.cert, files.key
            typer.echo(f"podid webhook: self-signed CA in {files.ca}", err=True)
            if webhook_config is not None:
                body = mutating_webhook_configuration(
                    ca_bundle_pem=files.ca.read_bytes(), service=(namespace, service_name),
                    exclude_namespaces=[n for n in namespace_exclude if n])
                webhook_config.write_text(json.dumps(body, indent=2) + "\n")

        assert tls_cert is not None and tls_key is not None
        try:  # a certificate uvicorn cannot load is a usage error, not a traceback at bind time
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(tls_cert, tls_key)
        except (ssl.SSLError, OSError) as exc:
            raise typer.BadParameter(f"cannot load the certificate and key: {exc}",
                                     param_hint="--tls-cert-file/--tls-key-file") from None

        config = WebhookConfig(region=aws_default_region, annotation_domain=annotation_prefix,
                               default_audience=token_audience, default_regional_sts=sts_regional_endpoint,
                               default_token_expiration=token_expiration, irsa_mount_path=token_mount_path)
        source: AssociationSource
        try:
            source = (CrdAssociations(api, cluster_arn or "") if associations == "crd"
                      else EksAssociations(eks, cluster_name))
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--cluster-arn") from None
        resolver = KubeResolver(api, source, agent)
        app_ = build_webhook_app(resolver, config, skip_namespaces=[n for n in namespace_exclude if n])
        typer.echo(f"podid webhook: cluster {cluster_name} on https://{host}:{port}/mutate", err=True)
        uvicorn.run(app_, host=host, port=port, log_level="warning", access_log=False, server_header=False,
                    lifespan="off", ssl_certfile=str(tls_cert), ssl_keyfile=str(tls_key))
