"""`podid irsa publish`: self-hosted IRSA for a non-EKS cluster (issuer discovery on S3 + IAM provider).

Reads the cluster's ServiceAccount signing keys as a JWKS (``--jwks-file``, e.g. from ``kubectl get
--raw /openid/v1/jwks``, or ``--jwks-url``), writes ``<prefix>/.well-known/openid-configuration``
and ``<prefix>/keys.json`` to the bucket, makes them publicly readable and registers the issuer as
an IAM OIDC provider (client id sts.amazonaws.com). Talks to AWS with the default boto3 chain
(``--profile``, ``--region``, ``--endpoint-url`` or AWS_ENDPOINT_URL for ``podid up``), then prints
the kube-apiserver flags that make the cluster sign tokens for that issuer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="IRSA for clusters that are not EKS.", no_args_is_help=True)


def _read_jwks(jwks_file: Path | None, jwks_url: str | None, ca_bundle: str | None) -> dict[str, object]:
    if (jwks_file is None) == (jwks_url is None):
        raise typer.BadParameter("give exactly one of --jwks-file and --jwks-url")
    try:
        if jwks_file is not None:
            doc = json.loads(jwks_file.read_text())
        else:
            import ssl

            import httpx

            verify = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True
            doc = httpx.get(str(jwks_url), timeout=10, verify=verify).raise_for_status().json()
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(f"cannot read the JWKS: {exc}") from None
    except Exception as exc:  # httpx errors: unreachable, TLS, status
        raise typer.BadParameter(f"cannot fetch the JWKS: {exc}") from None
    if not isinstance(doc, dict):
        raise typer.BadParameter("the JWKS must be a JSON object with \"keys\"")
    return doc


@app.command("publish")
def publish_command(
    bucket: Annotated[str, typer.Option("--bucket", help="S3 bucket that serves the issuer (must exist).")],
    prefix: Annotated[str, typer.Option("--prefix", help="Key prefix inside the bucket.")] = "",
    jwks_file: Annotated[Path | None, typer.Option("--jwks-file", help="The cluster's JWKS (JSON).")] = None,
    jwks_url: Annotated[str | None, typer.Option("--jwks-url", help="Fetch the JWKS from this URL.")] = None,
    issuer_url: Annotated[str | None, typer.Option(
        "--issuer-url", help="Public https URL of bucket+prefix (default: S3's virtual-host URL).")] = None,
    region: Annotated[str | None, typer.Option("--region", help="AWS region (default: boto3's).")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="AWS profile.")] = None,
    endpoint_url: Annotated[str | None, typer.Option(
        "--endpoint-url", help="AWS endpoint (e.g. podid up's; default AWS_ENDPOINT_URL / AWS).")] = None,
    ca_bundle: Annotated[str | None, typer.Option("--ca-bundle", help="CA file for https endpoints.")] = None,
    register: Annotated[bool, typer.Option(
        "--register/--no-register", help="Create the IAM OIDC provider for the issuer.")] = True,
    public: Annotated[bool, typer.Option(
        "--public/--no-public", help="Add a bucket-policy statement making the two files readable.")] = True,
) -> None:
    """Publish the issuer discovery + JWKS to S3 and register the IAM OIDC provider."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from podid.irsa import issuer_documents, publish, s3_issuer_url

    session = boto3.Session(profile_name=profile, region_name=region)
    region_name = session.region_name or "us-east-1"
    issuer = issuer_url or s3_issuer_url(bucket, region_name, prefix)
    try:
        docs = issuer_documents(issuer, _read_jwks(jwks_file, jwks_url, ca_bundle))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    kwargs = {"endpoint_url": endpoint_url, "verify": ca_bundle, "region_name": region_name}
    try:
        s3 = session.client("s3", **kwargs)
        iam = session.client("iam", **kwargs) if register else None
        result = publish(s3, iam, docs, bucket, prefix, public=public)
    except ClientError as exc:
        err = exc.response.get("Error", {})
        typer.echo(f"podid irsa publish: {err.get('Code')}: {err.get('Message')}", err=True)
        raise typer.Exit(1) from None
    except BotoCoreError as exc:
        typer.echo(f"podid irsa publish: {exc}", err=True)
        raise typer.Exit(1) from None
    for key in result.objects:
        typer.echo(f"published s3://{bucket}/{key}")
    if result.provider_arn:
        state = "created" if result.provider_created else "exists"
        typer.echo(f"{state} OIDC provider {result.provider_arn}")
    typer.echo("kube-apiserver flags:")
    typer.echo(f"  --service-account-issuer={result.issuer}")
    typer.echo(f"  --service-account-jwks-uri={result.issuer}/keys.json")
