"""``podid broker --associations crd``: associations from ``PodIdentityAssociation`` objects applied
to the cluster's own API (podid's Kubernetes API over https, read with the kubernetes client), STS
of a ``podid up`` over https as "AWS". The EKS API holds no association for these ServiceAccounts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from podid.broker.association_crd import GROUP, PLURAL, VERSION, association_id, definition
from support.broker import BrokerWorld


def _eks_auth(url: str) -> Any:
    return boto3.client("eks-auth", region_name="us-east-1", endpoint_url=url,
                        aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x" * 40,
                        config=Config(retries={"max_attempts": 1}))


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    err = exc.value.response
    return (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"], err["Error"].get("Message", ""))


@pytest.fixture(scope="module")
def kube(world: BrokerWorld) -> Iterator[Any]:
    from kubernetes import client, config

    cluster = world.cluster("rc-crd")
    api = config.new_client_from_config(config_file=str(world.info["kubeconfig"]), context=cluster)
    client.ApiextensionsV1Api(api).create_custom_resource_definition(definition())
    yield api
    api.close()


def _association(api: Any, name: str, sa: str, role_arn: str, **spec: Any) -> dict[str, Any]:
    from kubernetes import client

    body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "PodIdentityAssociation",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"serviceAccount": sa, "roleArn": role_arn, **spec}}
    out: dict[str, Any] = client.CustomObjectsApi(api).create_namespaced_custom_object(
        GROUP, VERSION, "default", PLURAL, body)
    return out


def _delete(api: Any, name: str) -> None:
    from kubernetes import client

    client.CustomObjectsApi(api).delete_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, name)


def test_custom_resource_binds_the_service_account_to_the_role(world: BrokerWorld, kube: Any) -> None:
    cluster = "rc-crd"
    role_arn = world.role("rc-crd-reader")
    pod = world.pod(cluster, "web-1", sa="crd-reader")
    extra = ["--associations", "crd", "--kubeconfig", str(world.info["kubeconfig"]), "--context", cluster]
    eks = world.server.client("eks")
    assert eks.list_pod_identity_associations(clusterName=cluster)["associations"] == []
    with world.start_broker(cluster, extra=extra) as broker:
        client = _eks_auth(broker.url)
        with pytest.raises(ClientError) as exc:
            client.assume_role_for_pod_identity(clusterName=cluster, token=pod.token)
        assert _error(exc)[:2] == ("ResourceNotFoundException", 404)
        created = _association(kube, "reader", "crd-reader", role_arn)
        out = client.assume_role_for_pod_identity(clusterName=cluster, token=pod.token)
        assert out["subject"] == {"namespace": "default", "serviceAccount": "crd-reader"}
        assert out["assumedRoleUser"]["arn"].startswith(
            f"arn:aws:sts::{world.server.account_id}:assumed-role/rc-crd-reader/eks-rc-crd-web-1-")
        expected_id = association_id(created["metadata"]["uid"])
        assert out["podIdentityAssociation"] == {
            "associationId": expected_id,
            "associationArn": f"arn:aws:eks:{world.server.region}:{world.server.account_id}:"
                              f"podidentityassociation/{cluster}/{expected_id}"}
        creds = out["credentials"]
        sts = boto3.client("sts", region_name=world.server.region, endpoint_url=world.server.url,
                           aws_access_key_id=creds["accessKeyId"],
                           aws_secret_access_key=creds["secretAccessKey"],
                           aws_session_token=creds["sessionToken"])
        assert sts.get_caller_identity()["Arn"] == out["assumedRoleUser"]["arn"]
        # a second object for the same ServiceAccount is ambiguous: refused, never a guess
        _association(kube, "reader-again", "crd-reader", world.role("rc-crd-other"))
        with pytest.raises(ClientError) as exc:
            client.assume_role_for_pod_identity(clusterName=cluster, token=pod.token)
        code, status, message = _error(exc)
        assert (code, status) == ("AccessDeniedException", 400) and "reader, reader-again" in message
        # deleting the objects takes effect on the next request (nothing cached)
        _delete(kube, "reader")
        _delete(kube, "reader-again")
        with pytest.raises(ClientError) as exc:
            client.assume_role_for_pod_identity(clusterName=cluster, token=pod.token)
        assert _error(exc)[:2] == ("ResourceNotFoundException", 404)


def test_cluster_api_down_fails_closed(world: BrokerWorld, kube: Any, tmp_path: Any) -> None:
    cluster = "rc-crd"
    pod = world.pod(cluster, "web-2", sa="crd-down")
    dead = tmp_path / "dead.kubeconfig"
    dead.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:9', insecure-skip-tls-verify: true}}]\n"
        "users: [{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\n")
    with world.start_broker(cluster, extra=["--associations", "crd", "--kubeconfig", str(dead)]) as broker:
        with pytest.raises(ClientError) as exc:
            _eks_auth(broker.url).assume_role_for_pod_identity(clusterName=cluster, token=pod.token)
        assert _error(exc)[:2] == ("ServiceUnavailableException", 503)


def test_unknown_association_source_is_rejected(world: BrokerWorld) -> None:
    import subprocess

    from support.server import PODID

    out = subprocess.run([str(PODID), "broker", "--cluster-name", "x", "--issuer", "https://127.0.0.1:9",
                          "--region", "us-east-1", "--associations", "ldap"],
                         capture_output=True, text=True, timeout=60, env=world.broker_env())
    assert out.returncode == 2 and "'ldap' is not one of 'eks', 'crd'" in out.stderr
