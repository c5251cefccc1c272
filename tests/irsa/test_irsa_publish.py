"""`podid irsa publish` against a real `podid up`: a simulated non-EKS cluster's issuer is published
to podid's S3 (served over https on `--tls-port`, read anonymously), registered as an IAM OIDC
provider, and STS AssumeRoleWithWebIdentity then accepts that cluster's tokens for a role trusting
`<issuer>:sub` + `:aud`, fetching the JWKS from the bucket itself."""

from __future__ import annotations

import json
import shlex
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from podid.oidc import IssuerKeys, issue_token
from support.eks import start_eks_server
from support.server import PODID, PodidServer, clean_env, free_port

BUCKET = "cluster-issuers"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodidServer]:
    state = tmp_path_factory.mktemp("irsa") / "state"
    with start_eks_server(state, extra_args=["--tls-port", str(free_port())]) as srv:
        srv.client("s3").create_bucket(Bucket=BUCKET)
        yield srv


def _tls_url(server: PodidServer) -> str:
    return str(json.loads((server.state_dir / "server.json").read_text())["tls_url"])


def _publish(server: PodidServer, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = (f"source {shlex.quote(str(server.state_dir / 'env'))} && {shlex.quote(str(PODID))} irsa publish "
           + " ".join(map(shlex.quote, args)))
    return subprocess.run(["bash", "-c", cmd], env=clean_env(), capture_output=True, text=True, timeout=60,
                          check=False)


def _web_identity(server: PodidServer, role_arn: str, token: str) -> dict[str, object]:
    import boto3

    sts = boto3.client("sts", endpoint_url=server.url, region_name=server.region,
                       config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
    return dict(sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="irsa",
                                                  WebIdentityToken=token))


def test_published_issuer_is_trusted_by_sts(server: PodidServer, tmp_path: Path) -> None:
    issuer = f"{_tls_url(server)}/{BUCKET}/cluster-a"
    now = int(time.time())
    keys = IssuerKeys.generate(now)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks(now)))
    out = _publish(server, "--bucket", BUCKET, "--prefix", "cluster-a", "--jwks-file", str(jwks),
                   "--issuer-url", issuer)
    assert out.returncode == 0, out.stderr
    assert f"published s3://{BUCKET}/cluster-a/.well-known/openid-configuration" in out.stdout
    assert f"--service-account-issuer={issuer}" in out.stdout
    assert "created OIDC provider arn:aws:iam::" in out.stdout
    # anyone can read the discovery document and the keys, over https, without signing
    ca = ssl.create_default_context(cafile=str(server.state_dir / "ca.crt"))
    disc = httpx.get(f"{issuer}/.well-known/openid-configuration", verify=ca, timeout=10)
    assert disc.status_code == 200, disc.text
    assert disc.json()["issuer"] == issuer and disc.json()["jwks_uri"] == f"{issuer}/keys.json"
    served = httpx.get(f"{issuer}/keys.json", verify=ca, timeout=10).json()
    assert [k["kid"] for k in served["keys"]] == [k["kid"] for k in keys.jwks(now)["keys"]]
    # nothing else in the bucket became public
    server.client("s3").put_object(Bucket=BUCKET, Key="private.txt", Body=b"secret")
    assert httpx.get(f"{_tls_url(server)}/{BUCKET}/private.txt", verify=ca, timeout=10).status_code == 403

    host_path = issuer.removeprefix("https://")
    provider = f"arn:aws:iam::{server.account_id}:oidc-provider/{host_path}"
    iam = server.client("iam")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider)["ClientIDList"] == [
        "sts.amazonaws.com"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{host_path}:sub": "system:serviceaccount:prod:app",
                                       f"{host_path}:aud": "sts.amazonaws.com"}}}]}
    role = iam.create_role(RoleName="self-hosted-irsa", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    token = issue_token(keys, issuer, "prod", "app", str(uuid.uuid4()), ["sts.amazonaws.com"], 3600,
                        pod=("app-1", str(uuid.uuid4())), now=now)
    creds = _web_identity(server, role["Arn"], token)
    assumed = creds["AssumedRoleUser"]
    assert isinstance(assumed, dict) and assumed["Arn"].endswith(":assumed-role/self-hosted-irsa/irsa")
    # another ServiceAccount of the same cluster: the trust's :sub refuses it
    other = issue_token(keys, issuer, "prod", "intruder", str(uuid.uuid4()), ["sts.amazonaws.com"], 3600,
                        now=now)
    with pytest.raises(ClientError) as denied:
        _web_identity(server, role["Arn"], other)
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    # a token signed by keys the issuer never published
    forged = issue_token(IssuerKeys.generate(now), issuer, "prod", "app", str(uuid.uuid4()),
                         ["sts.amazonaws.com"], 3600, now=now)
    with pytest.raises(ClientError) as bad:
        _web_identity(server, role["Arn"], forged)
    assert bad.value.response["Error"]["Code"] == "InvalidIdentityToken"
    # publishing again is idempotent: same provider, policy statement replaced, not duplicated
    again = _publish(server, "--bucket", BUCKET, "--prefix", "cluster-a", "--jwks-file", str(jwks),
                     "--issuer-url", issuer)
    assert again.returncode == 0 and f"exists OIDC provider {provider}" in again.stdout, again.stderr
    policy = json.loads(server.client("s3").get_bucket_policy(Bucket=BUCKET)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["PodidIrsaIssuerDiscovery"]


def test_private_key_material_and_http_issuers_are_refused(server: PodidServer, tmp_path: Path) -> None:
    now = int(time.time())
    keys_doc = IssuerKeys.generate(now).jwks(now)
    leaked = {"keys": [dict(keys_doc["keys"][0], d="AAAA")]}
    bad = tmp_path / "leaked.json"
    bad.write_text(json.dumps(leaked))
    out = _publish(server, "--bucket", BUCKET, "--prefix", "leaky", "--jwks-file", str(bad),
                   "--issuer-url", f"{_tls_url(server)}/{BUCKET}/leaky")
    assert out.returncode == 2 and "private key material" in out.stderr, out.stderr
    good = tmp_path / "jwks.json"
    good.write_text(json.dumps(keys_doc))
    plain = _publish(server, "--bucket", BUCKET, "--prefix", "plain", "--jwks-file", str(good),
                     "--issuer-url", f"{server.url}/{BUCKET}/plain")
    assert plain.returncode == 2 and "https://" in plain.stderr
    listed = server.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])
    assert not [o["Key"] for o in listed if o["Key"].startswith(("leaky/", "plain/"))]
    missing = _publish(server, "--bucket", "no-such-bucket", "--jwks-file", str(good),
                       "--issuer-url", f"{_tls_url(server)}/no-such-bucket")
    assert missing.returncode == 1 and "NoSuchBucket" in missing.stderr
