"""The official ``kubernetes`` Python client against the cluster API: watch and patch paths."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException
from tests.k8s.conftest import TOKEN, Cluster


@pytest.fixture(scope="module")
def core(cluster: Cluster) -> Iterator[client.CoreV1Api]:
    with tempfile.NamedTemporaryFile("w", suffix=".crt", delete=False) as fh:
        fh.write(cluster.ca_pem)
    cfg = client.Configuration()
    cfg.host = cluster.url
    cfg.ssl_ca_cert = fh.name
    cfg.api_key = {"authorization": f"Bearer {TOKEN}"}
    with client.ApiClient(cfg) as api:
        yield client.CoreV1Api(api)


def test_watch_stream(core: client.CoreV1Api) -> None:
    core.create_namespace({"metadata": {"name": "pywatch"}})
    initial = core.list_namespaced_service_account("pywatch")
    core.create_namespaced_service_account("pywatch", {"metadata": {"name": "w1"}})
    core.patch_namespaced_service_account("w1", "pywatch", {"metadata": {"labels": {"x": "y"}}})
    core.delete_namespaced_service_account("w1", "pywatch")
    seen = []
    for event in watch.Watch().stream(
        core.list_namespaced_service_account,
        "pywatch",
        resource_version=initial.metadata.resource_version,
        timeout_seconds=2,
    ):
        seen.append((event["type"], event["object"].metadata.name))
        if len(seen) == 3:
            break
    assert seen == [("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")]


def test_watch_compacted_is_gone(core: client.CoreV1Api, cluster: Cluster) -> None:
    old = int(core.list_namespace().metadata.resource_version)
    core.create_namespace({"metadata": {"name": "pycompact"}})
    cluster.store.compact(keep=0)
    with pytest.raises(ApiException) as exc:
        for _ in watch.Watch().stream(core.list_namespace, resource_version=str(old), timeout_seconds=2):
            pass
    assert exc.value.status == 410


def test_strategic_patch_merges_containers_by_name(core: client.CoreV1Api) -> None:
    core.create_namespace({"metadata": {"name": "pypatch"}})
    core.create_namespaced_pod(
        "pypatch",
        {
            "metadata": {"name": "p"},
            "spec": {
                "containers": [
                    {"name": "a", "image": "busybox:1", "env": [{"name": "X", "value": "1"}]},
                    {"name": "b", "image": "busybox:1"},
                ]
            },
        },
    )
    pod = core.patch_namespaced_pod(
        "p", "pypatch", {"spec": {"containers": [{"name": "b", "image": "busybox:2"}]}}
    )
    assert [(c.name, c.image) for c in pod.spec.containers] == [("a", "busybox:1"), ("b", "busybox:2")]
    assert pod.spec.containers[0].env[0].value == "1"
    with pytest.raises(ApiException) as exc:
        core.replace_namespaced_pod(
            "p", "pypatch", {"metadata": {"name": "p", "resourceVersion": "1"}, "spec": pod.to_dict()["spec"]}
        )
    assert exc.value.status == 409


def test_token_request_and_review(core: client.CoreV1Api, cluster: Cluster) -> None:
    core.create_namespace({"metadata": {"name": "pytoken"}})
    core.create_namespaced_pod(
        "pytoken", {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "busybox"}]}}
    )
    pod = core.read_namespaced_pod("p", "pytoken")
    tr = core.create_namespaced_service_account_token(
        "default",
        "pytoken",
        {
            "spec": {
                "audiences": ["sts.amazonaws.com"],
                "expirationSeconds": 3600,
                "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "p", "uid": pod.metadata.uid},
            }
        },
    )
    assert tr.status.token
    authn = client.AuthenticationV1Api(core.api_client)
    review = authn.create_token_review(
        {"spec": {"token": tr.status.token, "audiences": ["sts.amazonaws.com"]}}
    )
    assert review.status.authenticated
    assert review.status.user.username == "system:serviceaccount:pytoken:default"
    assert review.status.user.extra["authentication.kubernetes.io/pod-name"] == ["p"]
    bad = authn.create_token_review({"spec": {"token": "x.y.z"}})
    assert not bad.status.authenticated


def test_pod_without_runtime_answers_like_kubernetes() -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import StaticPool
    from starlette.testclient import TestClient

    from podid.k8s import (
        SqlObjectStore,
        admin_user,
        create_cluster_api,
        create_tables,
        static_token_authenticator,
    )

    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    create_tables(engine)
    app = create_cluster_api(
        "bare", SqlObjectStore(engine, "bare"), static_token_authenticator({"t": admin_user()})
    )
    http = TestClient(app, headers={"Authorization": "Bearer t"})
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    assert http.post("/api/v1/namespaces/default/pods", json=pod).status_code == 201
    got = http.get("/api/v1/namespaces/default/pods/p").json()
    assert got["status"]["phase"] == "Pending" and "nodeName" not in got["spec"]
    exec_ = http.post("/api/v1/namespaces/default/pods/p/exec?command=ls&container=c")
    assert exec_.status_code == 400 and exec_.json()["message"] == "pod p does not have a host assigned"
    assert http.get("/api/v1/namespaces/default/pods/p/log").text == ""
    assert TestClient(app).get("/api/v1/pods").json()["reason"] == "Unauthorized"
