"""`podid up --issuer-tls`: the cluster's OIDC issuer over HTTPS with the local CA, and IRSA through it
(the provider registered with the https:// issuer URL exactly as on EKS)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest

from support.lab import BUCKET, LAB, NS, Lab, start_lab

from .test_identity_paths import _irsa_role


@pytest.fixture(scope="module")
def tls_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with start_lab(tmp_path_factory, "issuer-tls", extra_args=["--issuer-tls"]) as lab:
        lab.ok("aws iam create-policy --policy-name s3-reader --policy-document "
               f"file://{LAB / 's3-reader-policy.json'}")
        lab.bucket([("allowed/a.txt", "x")])
        lab.service_account()
        yield lab


def test_issuer_is_https_with_the_local_ca(tls_lab: Lab) -> None:
    issuer = tls_lab.ok("aws eks describe-cluster --name lab --query cluster.identity.oidc.issuer "
                        "--output text").strip()
    assert issuer.startswith("https://127.0.0.1:") and "/clusters/lab/oidc/id/" in issuer
    context = ssl.create_default_context(cafile=str(tls_lab.srv.state_dir / "ca.crt"))
    discovery = httpx.get(f"{issuer}/.well-known/openid-configuration", verify=context, timeout=10).json()
    assert discovery["issuer"] == issuer and discovery["jwks_uri"] == f"{issuer}/keys"
    assert httpx.get(f"{issuer}/keys", verify=context, timeout=10).json()["keys"]
    with pytest.raises(httpx.ConnectError):   # not a publicly trusted certificate
        httpx.get(f"{issuer}/keys", timeout=10)


def test_irsa_through_the_https_issuer(tls_lab: Lab) -> None:
    arn = _irsa_role(tls_lab, "tls-irsa", "tls-sa")
    tls_lab.ok(f"kubectl -n {NS} create sa tls-sa")
    tls_lab.ok(f"kubectl -n {NS} annotate sa tls-sa eks.amazonaws.com/role-arn={arn}")
    tls_lab.pod("tls-irsa", "tls-sa")
    who = tls_lab.exec("tls-irsa", "aws sts get-caller-identity --query Arn --output text")
    assert who.returncode == 0 and ":assumed-role/tls-irsa/" in who.stdout, who.stderr
    assert tls_lab.exec("tls-irsa", f"aws s3 ls s3://{BUCKET}/allowed/").returncode == 0
