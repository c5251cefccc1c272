"""The IRSA pattern in HCL: ``data.aws_eks_cluster`` -> ``aws_iam_openid_connect_provider`` from its
(https) issuer -> a role trusting ``<issuer>:sub``; a ServiceAccount token from kubectl assumes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.server import PodidServer
from terraform.conftest import CLUSTERS, module, sh
from terraform.inventory import inventory


def test_irsa_oidc_provider_from_cluster_issuer(tf_server: PodidServer, tmp_path: Path) -> None:
    srv = tf_server
    before = inventory(srv, CLUSTERS)
    issuer = srv.client("eks").describe_cluster(name="lab")["cluster"]["identity"]["oidc"]["issuer"]
    assert issuer.startswith("https://")
    tf = module(tmp_path, srv, "irsa")
    tf.apply()
    tf.assert_no_changes()

    host_path = issuer.removeprefix("https://")
    providers = srv.client("iam").list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert f"arn:aws:iam::{srv.account_id}:oidc-provider/{host_path}" in {p["Arn"] for p in providers}
    role_arn = tf.run("output", "-raw", "role_arn").stdout.strip()
    sh(srv, "kubectl create namespace lab --dry-run=client -o yaml | kubectl apply -f -")
    sh(srv, "kubectl -n lab create serviceaccount irsa-reader")
    sh(srv, "kubectl -n lab create serviceaccount someone-else")
    sts = srv.client("sts")
    try:
        token = sh(srv, "kubectl -n lab create token irsa-reader --audience sts.amazonaws.com").strip()
        got = sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="irsa",
                                                WebIdentityToken=token)
        assert got["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{srv.account_id}:assumed-role/irsa-reader/irsa"
        other = sh(srv, "kubectl -n lab create token someone-else --audience sts.amazonaws.com").strip()
        with pytest.raises(sts.exceptions.ClientError, match="AccessDenied"):
            sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="other",
                                              WebIdentityToken=other)
    finally:
        sh(srv, "kubectl -n lab delete serviceaccount irsa-reader someone-else")

    tf.destroy()
    assert inventory(srv, CLUSTERS) == before
