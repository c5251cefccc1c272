"""`podid broker`: EKS Auth for one real Kubernetes cluster (:mod:`podid.broker`).

Like `podid agent` (and unlike `podid up`) the broker uses the normal AWS configuration: its own
credentials from boto3's default chain (in a cluster: IRSA, or a Secret's keys), the region from
`--region` / AWS_REGION, endpoints from `--sts-endpoint` / `--eks-endpoint`, else
AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL_EKS / AWS_ENDPOINT_URL, else AWS; `--ca-bundle` (or
AWS_CA_BUNDLE) for an endpoint with a private CA such as `podid up --tls`.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add the top-level `broker` command to the podid CLI."""

    @app.command("broker")
    def broker(
        cluster_name: str = typer.Option(..., "--cluster-name", "-c", help="The cluster served (required)."),
        cluster_arn: str | None = typer.Option(
            None, "--cluster-arn", help="eks-cluster-arn session tag (default: arn:aws:eks:REGION:ACCOUNT:"
            "cluster/NAME, the account from the broker's own GetCallerIdentity)."),
        issuer: str | None = typer.Option(
            None, "--issuer", help="Validate tokens with this OIDC issuer's JWKS (the cluster's "
            "--service-account-issuer)."),
        issuer_ca: Path | None = typer.Option(None, "--issuer-ca", help="CA bundle for the issuer's https."),
        jwks_file: Path | None = typer.Option(
            None, "--jwks-file", help="With --issuer: the issuer's JWKS from this file (e.g. `kubectl get "
            "--raw /openid/v1/jwks`, mounted from a ConfigMap) instead of fetching it."),
        token_review: bool = typer.Option(
            False, "--token-review", help="Validate tokens with a TokenReview by the cluster's API server."),
        kubeconfig: Path | None = typer.Option(
            None, "--kubeconfig", help="Kubeconfig for --token-review and --associations crd (default: "
            "in-cluster)."),
        kube_context: str | None = typer.Option(None, "--context", help="Context of --kubeconfig."),
        associations: str = typer.Option(
            "eks", "--associations", help="Where associations come from: eks (the EKS API's "
            "ListPodIdentityAssociations) or crd (PodIdentityAssociation objects in the cluster, read "
            "with --kubeconfig or in-cluster)."),
        region: str | None = typer.Option(None, "--region", help="AWS region (default: AWS_REGION)."),
        sts_endpoint: str | None = typer.Option(None, "--sts-endpoint", help="STS endpoint URL."),
        eks_endpoint: str | None = typer.Option(None, "--eks-endpoint", help="EKS API endpoint URL."),
        ca_bundle: Path | None = typer.Option(None, "--ca-bundle", help="CA bundle for STS and EKS."),
        session_seconds: int = typer.Option(3600, "--session-duration", help="Role session seconds."),
        host: str = typer.Option("127.0.0.1", "--host", help="Listen address."),
        port: int = typer.Option(8443, "--port", help="Listen port."),
        tls_cert: Path | None = typer.Option(None, "--tls-cert", help="Serve https with this chain."),
        tls_key: Path | None = typer.Option(None, "--tls-key", help="Key of --tls-cert."),
        log_level: str = typer.Option("info", "--log-level", help="debug, info, warning, error."),
    ) -> None:
        """Serve AssumeRoleForPodIdentity for CLUSTER: tokens checked against the cluster, associations
        from the EKS API, credentials from STS with the broker's own credentials."""
        import boto3
        import httpx
        import uvicorn
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        from podid.broker import (
            AssociationSource,
            Broker,
            BrokerConfig,
            CrdAssociations,
            EksAssociations,
            JwksValidator,
            StsCredentialSource,
            TokenReviewValidator,
            TokenValidator,
            build_broker_app,
        )
        from podid.kubeclient import kube_api_client
        from podid.oidc import JWKSFetcher, StaticJWKS

        logging.basicConfig(level=log_level.upper(),
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        if (issuer is None) == (not token_review):
            raise typer.BadParameter("give exactly one of --issuer URL or --token-review",
                                     param_hint="--issuer")
        if associations not in ("eks", "crd"):
            raise typer.BadParameter(f"{associations!r} is not one of 'eks', 'crd'",
                                     param_hint="--associations")
        if (tls_cert is None) != (tls_key is None):
            raise typer.BadParameter("--tls-cert and --tls-key go together", param_hint="--tls-cert")
        region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if not region:
            raise typer.BadParameter("no region: give --region or set AWS_REGION", param_hint="--region")
        verify: str | None = str(ca_bundle) if ca_bundle else None
        try:
            session = boto3.Session(region_name=region)
            sts = StsCredentialSource(region=region, endpoint_url=sts_endpoint, verify=verify,
                                      session=session,
                                      session_seconds=session_seconds)
            if cluster_arn is None:
                account = sts.sts.get_caller_identity()["Account"]
                cluster_arn = f"arn:aws:eks:{region}:{account}:cluster/{cluster_name}"
            eks = session.client("eks", region_name=region, endpoint_url=eks_endpoint, verify=verify,
                                 config=Config(retries={"max_attempts": 3, "mode": "standard"}))
        except (BotoCoreError, ClientError) as exc:
            typer.echo(f"podid broker: cannot use the broker's AWS configuration: {exc}", err=True)
            raise typer.Exit(2) from None
        try:
            config = BrokerConfig(cluster_name=cluster_name, cluster_arn=cluster_arn, region=region,
                                  session_seconds=session_seconds)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
        validator: TokenValidator
        if issuer is not None and jwks_file is not None:
            try:
                validator = JwksValidator(issuer, StaticJWKS(json.loads(jwks_file.read_text())))
            except (OSError, ValueError) as exc:
                raise typer.BadParameter(f"cannot read a JWKS from {jwks_file}: {exc}",
                                         param_hint="--jwks-file") from None
        elif issuer is not None:
            client = httpx.Client(timeout=5.0, follow_redirects=False,
                                  verify=str(issuer_ca) if issuer_ca else True)
            validator = JwksValidator(issuer, JWKSFetcher(issuer, client=client))
        else:
            validator = TokenReviewValidator.from_kubeconfig(str(kubeconfig) if kubeconfig else None,
                                                             kube_context)
        source: AssociationSource
        if associations == "crd":
            try:
                api = kube_api_client(str(kubeconfig) if kubeconfig else None, kube_context)
                source = CrdAssociations(api, config.cluster_arn)
            except Exception as exc:  # noqa: BLE001 - kubeconfig/in-cluster errors of every kind
                typer.echo(f"podid broker: cannot reach the cluster for --associations crd: {exc}", err=True)
                raise typer.Exit(2) from None
        else:
            source = EksAssociations(eks, cluster_name)
        service = Broker(config.cluster_name, config.cluster_arn, validator, source, sts)
        ssl = {"ssl_certfile": str(tls_cert), "ssl_keyfile": str(tls_key)} if tls_cert and tls_key else {}
        scheme = "https" if ssl else "http"
        typer.echo(f"podid broker: cluster {cluster_name} on {scheme}://{host}:{port} "
                   f"({'JWKS of ' + issuer if issuer else 'TokenReview'}, associations from {associations})",
                   err=True)
        uvicorn.run(build_broker_app(service), host=host, port=port, log_level="warning", access_log=False,
                    server_header=False, lifespan="off", timeout_keep_alive=120, **ssl)  # type: ignore[arg-type]
