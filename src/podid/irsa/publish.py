"""Publish a cluster's issuer discovery + JWKS to S3 and register the IAM OIDC provider.

The self-hosted IRSA recipe (amazon-eks-pod-identity-webhook, SELF_HOSTED_SETUP.md): the API
server signs ServiceAccount tokens with ``--service-account-issuer=<ISSUER>`` and
``--service-account-jwks-uri=<ISSUER>/keys.json``; ``<ISSUER>/.well-known/openid-configuration``
and ``<ISSUER>/keys.json`` are static files anyone can read; IAM trusts ``<ISSUER>`` as an OIDC
provider with the client id ``sts.amazonaws.com``. Everything here goes through boto3 (S3 PutObject,
PutBucketPolicy, IAM CreateOpenIDConnectProvider), so the same code publishes to AWS or to
``podid up``.

The files are made public with a bucket-policy statement (``Sid`` :data:`PUBLIC_SID`, only the two
keys, merged into an existing policy), not object ACLs: new S3 buckets have ACLs disabled
(BucketOwnerEnforced) since 2023.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from podid.oidc.discovery import discovery_document

DISCOVERY_KEY = ".well-known/openid-configuration"
JWKS_KEY = "keys.json"
PUBLIC_SID = "PodidIrsaIssuerDiscovery"
AUDIENCE = "sts.amazonaws.com"


def s3_issuer_url(bucket: str, region: str, prefix: str = "") -> str:
    """The issuer URL of a bucket (+ prefix) on AWS: ``https://<bucket>.s3.<region>.amazonaws.com[/p]``."""
    suffix = ".com.cn" if region.startswith("cn-") else ".com"
    base = f"https://{bucket}.s3.{region}.amazonaws{suffix}"
    return f"{base}/{prefix.strip('/')}" if prefix.strip("/") else base


@dataclass(frozen=True)
class IssuerDocuments:
    issuer: str
    discovery: dict[str, Any]
    jwks: dict[str, Any]


def issuer_documents(issuer: str, jwks: dict[str, Any]) -> IssuerDocuments:
    """The two documents for ``issuer``; ``jwks`` must hold at least one RSA signing key."""
    keys = jwks.get("keys")
    if not isinstance(keys, list) or not keys:
        raise ValueError("the JWKS has no keys")
    for key in keys:
        if not isinstance(key, dict) or key.get("kty") != "RSA" or not key.get("n") or not key.get("e"):
            raise ValueError("every JWKS key must be an RSA public key (kty, n, e)")
        if "d" in key or "p" in key:
            raise ValueError("the JWKS holds private key material: refusing to publish it")
    issuer = issuer.rstrip("/")
    if not issuer.startswith("https://"):
        raise ValueError("IAM OIDC providers need an https:// issuer URL")
    discovery = discovery_document(issuer) | {"jwks_uri": f"{issuer}/{JWKS_KEY}"}
    return IssuerDocuments(issuer, discovery, {"keys": keys})


@dataclass(frozen=True)
class PublishResult:
    issuer: str
    objects: tuple[str, ...]
    provider_arn: str | None
    provider_created: bool


def _public_read(s3: Any, bucket: str, keys: list[str]) -> None:
    try:
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchBucketPolicy":
            raise
        policy = {"Version": "2012-10-17", "Statement": []}
    statements = [s for s in policy.get("Statement", []) if s.get("Sid") != PUBLIC_SID]
    statements.append({"Sid": PUBLIC_SID, "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": [f"arn:aws:s3:::{bucket}/{k}" for k in keys]})
    policy["Statement"] = statements
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def _register(iam: Any, issuer: str) -> tuple[str, bool]:
    url = issuer.removeprefix("https://")
    for provider in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", []):
        arn = provider["Arn"]
        if arn.split(":oidc-provider/", 1)[-1] == url:
            current = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
            if AUDIENCE not in current.get("ClientIDList", []):
                iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID=AUDIENCE)
            return arn, False
    out = iam.create_open_id_connect_provider(Url=issuer, ClientIDList=[AUDIENCE])
    return str(out["OpenIDConnectProviderArn"]), True


def publish(s3: Any, iam: Any | None, docs: IssuerDocuments, bucket: str, prefix: str = "",
            *, public: bool = True) -> PublishResult:
    """Write both documents under ``bucket``/``prefix``, make them readable, register the provider."""
    base = prefix.strip("/")
    keys = [f"{base}/{k}" if base else k for k in (DISCOVERY_KEY, JWKS_KEY)]
    for key, body in zip(keys, (docs.discovery, docs.jwks), strict=True):
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(body, indent=2).encode(),
                      ContentType="application/json")
    if public:
        _public_read(s3, bucket, keys)
    arn, created = _register(iam, docs.issuer) if iam is not None else (None, False)
    return PublishResult(docs.issuer, tuple(keys), arn, created)
