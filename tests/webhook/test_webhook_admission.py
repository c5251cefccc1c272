"""The AdmissionReview endpoint over real HTTPS on 127.0.0.1, and its request handling."""

from __future__ import annotations

import base64
import json
import ssl
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from webhook_fixtures import PI_ROLE, ROLE, admission_review, pod, service_account

from podid.webhook import (
    PodIdentityAssociation,
    WebhookConfig,
    admission_routes,
    apply,
    build_webhook_tls,
    mutate_pod,
    mutating_webhook_configuration,
    uvicorn_ssl_options,
)
from support.threaded_server import serve

CONFIG = WebhookConfig.eks("ap-northeast-2")


class FakeCluster:
    """An AdmissionResolver over dicts."""

    def __init__(self) -> None:
        self.service_accounts: dict[tuple[str, str], dict[str, Any]] = {
            ("default", "my-sa"): service_account(role_arn=ROLE),
            ("default", "s3-sa"): service_account("s3-sa"),
        }
        self.associations: dict[tuple[str, str], PodIdentityAssociation] = {}
        self.addon = True
        self.fail = False

    def service_account(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        if self.fail:
            raise RuntimeError("store down")
        return self.service_accounts.get((namespace, name))

    def association(self, namespace: str, service_account: str) -> PodIdentityAssociation | None:
        return self.associations.get((namespace, service_account))

    def agent_addon_installed(self) -> bool:
        return self.addon


review = admission_review


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return build_webhook_tls(["127.0.0.1", "localhost"]).write(tmp_path_factory.mktemp("tls"))


@pytest.fixture()
def https(tls_files: tuple[Path, Path, Path]) -> Iterator[tuple[httpx.Client, str, FakeCluster]]:
    cluster = FakeCluster()
    certfile, keyfile, cafile = tls_files
    app = Starlette(routes=admission_routes(cluster, CONFIG))
    with serve(app, **uvicorn_ssl_options(certfile, keyfile)) as port:
        context = ssl.create_default_context(cafile=str(cafile))
        with httpx.Client(verify=context, timeout=10) as client:
            yield client, f"https://127.0.0.1:{port}", cluster


def _post(client: httpx.Client, url: str, body: Any) -> httpx.Response:
    return client.post(
        url + "/mutate", content=json.dumps(body), headers={"Content-Type": "application/json"}
    )


def test_irsa_over_https_patch_reproduces_the_mutated_pod(https: Any) -> None:
    client, url, cluster = https
    original = pod()
    resp = _post(client, url, review(original))
    assert resp.status_code == 200
    answer = resp.json()
    assert answer["apiVersion"] == "admission.k8s.io/v1" and answer["kind"] == "AdmissionReview"
    body = answer["response"]
    assert body["uid"] == "705ab4f5-6393-11e8-b7cc-42010a800002"
    assert body["allowed"] is True and body["patchType"] == "JSONPatch"
    patch = json.loads(base64.b64decode(body["patch"]))
    expected = mutate_pod(original, cluster.service_accounts[("default", "my-sa")], config=CONFIG)
    assert apply(original, patch) == expected.pod
    assert patch == expected.patch
    assert "warnings" not in body


def test_pod_identity_over_https(https: Any) -> None:
    client, url, cluster = https
    cluster.associations[("default", "s3-sa")] = PodIdentityAssociation("default", "s3-sa", PI_ROLE)
    cluster.addon = False
    original = pod(sa="s3-sa")
    body = _post(client, url, review(original))
    body = body.json()["response"]
    mutated = apply(original, json.loads(base64.b64decode(body["patch"])))
    names = [e["name"] for e in mutated["spec"]["containers"][0]["env"]]
    assert names[-2:] == ["AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]
    assert body["warnings"] and all(len(w) <= 120 for w in body["warnings"])


def test_no_identity_means_allowed_without_patch(https: Any) -> None:
    client, url, _ = https
    body = _post(client, url, review(pod(sa="s3-sa"))).json()["response"]
    assert body == {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": True}


def test_re_admission_of_a_mutated_pod_has_no_patch(https: Any) -> None:
    client, url, cluster = https
    mutated = mutate_pod(pod(), cluster.service_accounts[("default", "my-sa")], config=CONFIG).pod
    assert "patch" not in _post(client, url, review(mutated)).json()["response"]


def test_namespace_comes_from_the_request(https: Any) -> None:
    client, url, cluster = https
    cluster.service_accounts[("team-a", "my-sa")] = service_account(namespace="team-a", role_arn=ROLE)
    obj = pod()
    del obj["metadata"]["namespace"]
    body = _post(client, url, review(obj, namespace="team-a")).json()["response"]
    assert body["patchType"] == "JSONPatch"


def test_non_pod_and_non_create_requests_pass_through(https: Any) -> None:
    client, url, _ = https
    for extra in (
        {"operation": "UPDATE"},
        {"kind": {"group": "", "version": "v1", "kind": "Service"}},
        {"subResource": "ephemeralcontainers"},
    ):
        body = _post(client, url, review(pod(), **extra)).json()["response"]
        assert body == {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": True}


def test_v1beta1_reviews_are_echoed(https: Any) -> None:
    client, url, _ = https
    r = review(pod())
    r["apiVersion"] = "admission.k8s.io/v1beta1"
    assert _post(client, url, r).json()["apiVersion"] == "admission.k8s.io/v1beta1"


def test_bad_requests(https: Any) -> None:
    client, url, cluster = https
    assert (
        client.post(
            url + "/mutate", content=json.dumps(review(pod())), headers={"Content-Type": "text/plain"}
        ).status_code
        == 415
    )
    assert (
        client.post(
            url + "/mutate", content=b"{nope", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )
    assert _post(client, url, {"kind": "Pod"}).status_code == 400
    assert (
        _post(client, url, {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}).status_code
        == 400
    )
    assert (
        _post(
            client, url, {"apiVersion": "v9", "kind": "AdmissionReview", "request": {"uid": "x"}}
        ).status_code
        == 400
    )
    cluster.fail = True
    assert _post(client, url, review(pod())).status_code == 500
    assert client.get(url + "/healthz").text == "ok"


def test_tls_is_really_verified(https: Any) -> None:
    _, url, _ = https
    other_ca = build_webhook_tls(["127.0.0.1"])
    context = ssl.create_default_context(cadata=other_ca.ca_pem)
    with httpx.Client(verify=context) as client, pytest.raises(httpx.ConnectError):
        client.get(url + "/healthz")


def test_mutating_webhook_configuration() -> None:
    tls = build_webhook_tls(["podid-webhook.podid.svc"])
    cfg = mutating_webhook_configuration(ca_bundle_pem=tls.ca_bundle, service=("podid", "podid-webhook"))
    hook = cfg["webhooks"][0]
    assert base64.b64decode(hook["clientConfig"]["caBundle"]) == tls.ca_bundle
    assert hook["clientConfig"]["service"] == {
        "namespace": "podid",
        "name": "podid-webhook",
        "path": "/mutate",
    }
    assert hook["rules"] == [
        {"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}
    ]
    assert hook["failurePolicy"] == "Ignore" and hook["sideEffects"] == "None"
    with pytest.raises(ValueError):
        mutating_webhook_configuration(ca_bundle_pem=tls.ca_bundle)


def test_tls_files_permissions(tls_files: tuple[Path, Path, Path]) -> None:
    certfile, keyfile, cafile = tls_files
    assert keyfile.stat().st_mode & 0o777 == 0o600
    assert b"BEGIN CERTIFICATE" in certfile.read_bytes() and b"BEGIN CERTIFICATE" in cafile.read_bytes()
