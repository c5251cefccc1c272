"""`podid webhook` as a real process: HTTPS on 127.0.0.1 with its own self-signed CA, ServiceAccounts
from a real Kubernetes API and associations from a real EKS API (both `podid up --cluster lab`),
answering AdmissionReview v1 requests like the upstream webhook - and failing closed."""

from __future__ import annotations

import base64
import contextlib
import json
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from webhook_fixtures import (
    PI_ROLE,
    ROLE,
    SEED_003_PATCH,
    SEED_004_PATCH,
    admission_review,
    pod,
)

from support.eks import POD_IDENTITY_TRUST
from support.kubectl import require_kubectl
from support.server import PODID, PodidServer, free_port, start_podid

CLUSTER = "lab"
NS = "demo"
UID = "705ab4f5-6393-11e8-b7cc-42010a800002"


@dataclass
class Lab:
    srv: PodidServer
    core: Any
    tmp: Path


@dataclass
class Webhook:
    url: str
    client: httpx.Client
    process: subprocess.Popen[bytes]
    cert_dir: Path
    log: Path

    def review(self, body: Any, content_type: str = "application/json") -> httpx.Response:
        return self.client.post(self.url + "/mutate", content=json.dumps(body),
                                headers={"Content-Type": content_type})

    def metric(self, outcome: str) -> float:
        text = self.client.get(self.url + "/metrics").text
        for line in text.splitlines():
            if line.startswith(f'podid_webhook_admissions_total{{outcome="{outcome}"}} '):
                return float(line.rsplit(" ", 1)[1])
        return 0.0


def _sa(name: str, namespace: str = NS, **annotations: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if annotations:
        meta["annotations"] = {f"eks.amazonaws.com/{k.replace('_', '-')}": v for k, v in annotations.items()}
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("webhook-server")
    with start_podid(tmp / "state", extra_args=["--cluster", CLUSTER, "--kube-port", "0",
                                                "--no-node-agent"]) as srv:
        api = k8s_config.new_client_from_config(config_file=srv.env["KUBECONFIG"])
        core = k8s.CoreV1Api(api)
        core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        core.create_namespaced_service_account(NS, _sa("my-sa", role_arn=ROLE))     # seed 003: IRSA
        core.create_namespaced_service_account(NS, _sa("s3-sa"))                     # seed 004: Pod Identity
        core.create_namespaced_service_account(NS, _sa("plain-sa"))                  # no identity
        core.create_namespaced_service_account("kube-system", _sa("system-sa", "kube-system", role_arn=ROLE))
        srv.client("iam").create_role(RoleName=PI_ROLE.rsplit("/", 1)[1],
                                      AssumeRolePolicyDocument=json.dumps(POD_IDENTITY_TRUST))
        srv.client("eks").create_pod_identity_association(
            clusterName=CLUSTER, namespace=NS, serviceAccount="s3-sa", roleArn=PI_ROLE)
        yield Lab(srv, core, tmp)
        api.close()


@contextlib.contextmanager
def start_webhook(lab: Lab, name: str, *extra: str, eks_endpoint: str | None = None,
                  eks_flags: bool = True, timeout: float = 60) -> Iterator[Webhook]:
    """`podid webhook --self-signed` on 127.0.0.1:<free port>, waited for until /healthz answers
    over HTTPS verified against the CA it wrote. ``eks_flags``: pods get the region and regional
    STS, as on EKS (the seeds' clusters)."""
    port = free_port()
    cert_dir = lab.tmp / f"{name}-certs"
    log_path = lab.tmp / f"{name}.log"
    cmd = [str(PODID), "webhook", "--cluster-name", CLUSTER, "--host", "127.0.0.1", "--port", str(port),
           "--self-signed", "--cert-dir", str(cert_dir), "--kubeconfig", lab.srv.env["KUBECONFIG"],
           "--region", lab.srv.region, "--eks-endpoint", eks_endpoint or lab.srv.url,
           *(["--aws-default-region", "ap-northeast-2", "--sts-regional-endpoint"] if eks_flags else []),
           *extra]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=lab.srv.env)
    url = f"https://127.0.0.1:{port}"
    client: httpx.Client | None = None
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"podid webhook did not start (exit {process.poll()}):\n"
                                   f"{log_path.read_text(errors='replace')[-4000:]}")
            if (cert_dir / "ca.crt").exists():
                if client is None:
                    client = httpx.Client(verify=ssl.create_default_context(cafile=str(cert_dir / "ca.crt")),
                                          timeout=20)
                try:
                    if client.get(url + "/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
            time.sleep(0.1)
        yield Webhook(url, client, process, cert_dir, log_path)
    finally:
        if client is not None:
            client.close()
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def webhook(lab: Lab) -> Iterator[Webhook]:
    with start_webhook(lab, "main") as hook:
        yield hook


def _patch(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    body = response.json()["response"]
    assert body["uid"] == UID and body["allowed"] is True and body["patchType"] == "JSONPatch"
    patch: list[dict[str, Any]] = json.loads(base64.b64decode(body["patch"]))
    return patch


def test_seed_003_irsa_patch_from_the_service_account_annotation(webhook: Webhook) -> None:
    resp = webhook.review(admission_review(pod(namespace=NS)))
    answer = resp.json()
    assert answer["apiVersion"] == "admission.k8s.io/v1" and answer["kind"] == "AdmissionReview"
    assert _patch(resp) == SEED_003_PATCH
    assert "warnings" not in answer["response"]


def test_seed_004_pod_identity_patch_from_the_eks_association(lab: Lab, webhook: Webhook) -> None:
    seed_pod = pod("eks-pod-identity", sa="s3-sa", namespace=NS)
    resp = webhook.review(admission_review(seed_pod))
    assert _patch(resp) == SEED_004_PATCH
    # no eks-pod-identity-agent DaemonSet yet: admitted with a warning saying so
    assert any("eks-pod-identity-agent" in w for w in resp.json()["response"]["warnings"])
    lab.srv.client("eks").create_addon(clusterName=CLUSTER, addonName="eks-pod-identity-agent")
    deadline = time.monotonic() + 30
    while True:   # the add-on's DaemonSet appears in kube-system
        resp = webhook.review(admission_review(seed_pod))
        if "warnings" not in resp.json()["response"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert _patch(resp) == SEED_004_PATCH
    assert "warnings" not in resp.json()["response"], resp.json()


def test_association_deleted_takes_effect_on_the_next_pod(lab: Lab, webhook: Webhook) -> None:
    eks = lab.srv.client("eks")
    eks.create_pod_identity_association(clusterName=CLUSTER, namespace=NS, serviceAccount="plain-sa",
                                        roleArn=PI_ROLE)
    [assoc] = eks.list_pod_identity_associations(clusterName=CLUSTER, namespace=NS,
                                                 serviceAccount="plain-sa")["associations"]
    assert _patch(webhook.review(admission_review(pod(sa="plain-sa", namespace=NS)))) == SEED_004_PATCH
    eks.delete_pod_identity_association(clusterName=CLUSTER, associationId=assoc["associationId"])
    body = webhook.review(admission_review(pod(sa="plain-sa", namespace=NS))).json()["response"]
    assert body == {"uid": UID, "allowed": True}


def test_service_account_without_identity_is_allowed_without_patch(webhook: Webhook) -> None:
    before = webhook.metric("allowed")
    for sa in ("plain-sa", "missing-sa"):   # an existing SA without identity, and no SA at all
        resp = webhook.review(admission_review(pod(sa=sa, namespace=NS)))
        assert resp.status_code == 200
        assert resp.json()["response"] == {"uid": UID, "allowed": True}
    assert webhook.metric("allowed") == before + 2


def test_kube_system_pods_are_admitted_untouched(webhook: Webhook) -> None:
    before = webhook.metric("skipped")
    resp = webhook.review(admission_review(pod(sa="system-sa", namespace="kube-system")))
    assert resp.json()["response"] == {"uid": UID, "allowed": True}
    assert webhook.metric("skipped") == before + 1


def test_non_create_and_non_pod_requests_are_allowed_unchanged(webhook: Webhook) -> None:
    seed_pod = pod(namespace=NS)
    for extra in ({"operation": "UPDATE", "oldObject": seed_pod}, {"operation": "DELETE", "object": None},
                  {"kind": {"group": "", "version": "v1", "kind": "ConfigMap"},
                   "resource": {"group": "", "version": "v1", "resource": "configmaps"}}):
        resp = webhook.review(admission_review(seed_pod, **extra))
        assert resp.status_code == 200
        assert resp.json() == {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                               "response": {"uid": UID, "allowed": True}}


def test_wrong_content_type_is_415_and_malformed_reviews_400(webhook: Webhook) -> None:
    review = admission_review(pod(namespace=NS))
    assert webhook.review(review, content_type="text/plain").status_code == 415
    bad = webhook.client.post(webhook.url + "/mutate", content=b"{not json",
                              headers={"Content-Type": "application/json"})
    assert bad.status_code == 400
    for body in ({"kind": "Pod"}, {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"},
                 {"apiVersion": "admission.k8s.io/v9", "kind": "AdmissionReview", "request": {"uid": "x"}},
                 admission_review(pod(namespace=NS), object="not a pod")):
        assert webhook.review(body).status_code == 400, body
    assert webhook.metric("unsupported_media_type") >= 1 and webhook.metric("bad_request") >= 5


def test_probes_and_metrics(webhook: Webhook) -> None:
    assert webhook.client.get(webhook.url + "/healthz").text == "ok"
    assert webhook.client.get(webhook.url + "/readyz").status_code == 200
    metrics = webhook.client.get(webhook.url + "/metrics")
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE podid_webhook_admissions_total counter" in metrics.text
    before = webhook.metric("patched")
    _patch(webhook.review(admission_review(pod(namespace=NS))))
    assert webhook.metric("patched") == before + 1


def test_only_https_is_served_with_the_written_ca(webhook: Webhook) -> None:
    with httpx.Client(timeout=5) as plain, pytest.raises(httpx.TransportError):
        plain.get(webhook.url.replace("https://", "http://") + "/healthz")
    with httpx.Client(timeout=5) as unverified, pytest.raises(httpx.ConnectError):
        unverified.get(webhook.url + "/healthz")  # the system trust store does not know the webhook's CA
    assert (webhook.cert_dir / "tls.key").stat().st_mode & 0o777 == 0o600


def test_eks_api_down_fails_closed(lab: Lab) -> None:
    """No association answer means no admission answer: 500 (failurePolicy decides), even for a pod
    whose ServiceAccount has an IRSA annotation - never a guessed identity."""
    closed = f"http://127.0.0.1:{free_port()}"
    with start_webhook(lab, "eks-down", eks_endpoint=closed) as hook:
        for sa in ("my-sa", "s3-sa", "plain-sa"):
            resp = hook.review(admission_review(pod(sa=sa, namespace=NS)))
            assert resp.status_code == 500, resp.text
            assert "patch" not in resp.text
        # pods outside the webhook's namespaces are still answered: nothing is looked up for them
        resp = hook.review(admission_review(pod(sa="system-sa", namespace="kube-system")))
        assert resp.status_code == 200 and resp.json()["response"] == {"uid": UID, "allowed": True}
        assert hook.metric("error") == 3
    assert "EKS API unreachable" in hook.log.read_text()


def test_kubernetes_api_refusing_fails_closed(lab: Lab, tmp_path: Path) -> None:
    """A kubeconfig whose user the API server rejects (401): 500, not "no ServiceAccount"."""
    kubeconfig = json.loads(json.dumps(_load_yaml(Path(lab.srv.env["KUBECONFIG"]))))
    for user in kubeconfig["users"]:
        user["user"] = {"token": "not-a-valid-token"}
    bad = tmp_path / "kubeconfig"
    bad.write_text(json.dumps(kubeconfig))
    with start_webhook(lab, "kube-denied", "--kubeconfig", str(bad)) as hook:
        resp = hook.review(admission_review(pod(sa="plain-sa", namespace=NS)))
        assert resp.status_code == 500
    assert "the API server answered 401" in hook.log.read_text()


def _load_yaml(path: Path) -> Any:
    import yaml

    return yaml.safe_load(path.read_text())


def test_namespace_exclude_and_webhook_config(lab: Lab) -> None:
    with start_webhook(lab, "exclude", "--namespace-exclude", NS, "--namespace-exclude", "kube-system",
                       "--webhook-config", str(lab.tmp / "mwc.json")) as hook:
        assert hook.review(admission_review(pod(namespace=NS))).json()["response"] == {"uid": UID,
                                                                                        "allowed": True}
        cfg = json.loads((lab.tmp / "mwc.json").read_text())
    [entry] = cfg["webhooks"]
    assert base64.b64decode(entry["clientConfig"]["caBundle"]) == (hook.cert_dir / "ca.crt").read_bytes()
    assert entry["clientConfig"]["service"] == {"namespace": "podid", "name": "podid-webhook",
                                                "path": "/mutate"}
    assert entry["namespaceSelector"] == {"matchExpressions": [
        {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": [NS, "kube-system"]}]}
    # the written configuration is one a Kubernetes API accepts from the real kubectl
    require_kubectl()
    done = subprocess.run(["kubectl", "apply", "-f", str(lab.tmp / "mwc.json")], env=lab.srv.env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "mutatingwebhookconfiguration.admissionregistration.k8s.io/podid-pod-identity-webhook" \
        in done.stdout
    got = subprocess.run(["kubectl", "get", "mutatingwebhookconfiguration", "podid-pod-identity-webhook",
                          "-o", "json"], env=lab.srv.env, capture_output=True, text=True, timeout=60)
    subprocess.run(["kubectl", "delete", "-f", str(lab.tmp / "mwc.json")], env=lab.srv.env,
                   capture_output=True, timeout=60, check=True)
    stored = json.loads(got.stdout)["webhooks"][0]
    assert stored["clientConfig"]["caBundle"] == entry["clientConfig"]["caBundle"]
    assert stored["namespaceSelector"] == entry["namespaceSelector"]


def test_upstream_flags_reach_the_mutation(lab: Lab) -> None:
    """--annotation-prefix/--token-audience/--token-expiration/--token-mount-path as the upstream
    webhook's self-hosted set-up uses them (annotation domain ``irsa``); no region flags."""
    lab.core.create_namespaced_service_account(NS, {"apiVersion": "v1", "kind": "ServiceAccount",
                                                    "metadata": {"name": "custom-sa", "annotations": {
                                                        "irsa/role-arn": ROLE}}})
    with start_webhook(lab, "custom", "--annotation-prefix", "irsa", "--token-audience", "irsa",
                       "--token-expiration", "3600", "--token-mount-path", "/var/run/secrets/irsa",
                       "--no-agent-check", eks_flags=False) as hook:
        resp = hook.review(admission_review(pod(sa="custom-sa", namespace=NS)))
    patch = _patch(resp)
    assert patch == [
        {"op": "add", "path": "/spec/containers/0/volumeMounts/1",
         "value": {"name": "aws-iam-token", "readOnly": True, "mountPath": "/var/run/secrets/irsa"}},
        {"op": "add", "path": "/spec/containers/0/env", "value": [
            {"name": "AWS_ROLE_ARN", "value": ROLE},
            {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/var/run/secrets/irsa/token"}]},
        {"op": "add", "path": "/spec/volumes/0", "value": {"name": "aws-iam-token", "projected": {
            "sources": [{"serviceAccountToken": {"audience": "irsa", "expirationSeconds": 3600,
                                                 "path": "token"}}],
            "defaultMode": 420}}},
    ]


def test_crd_associations_drive_pod_identity_without_aws(lab: Lab) -> None:
    """``--associations crd``: the webhook reads PodIdentityAssociation objects from the cluster;
    its EKS endpoint is a closed port, so nothing is asked of AWS."""
    from podid.broker.association_crd import GROUP, PLURAL, VERSION, definition

    api = k8s_config.new_client_from_config(config_file=lab.srv.env["KUBECONFIG"])
    k8s.ApiextensionsV1Api(api).create_custom_resource_definition(definition())
    lab.core.create_namespaced_service_account(NS, _sa("crd-sa"))
    arn = f"arn:aws:eks:{lab.srv.region}:{lab.srv.account_id}:cluster/{CLUSTER}"
    seed_pod = pod("eks-pod-identity", sa="crd-sa", namespace=NS)
    with start_webhook(lab, "crd", "--associations", "crd", "--cluster-arn", arn, "--no-agent-check",
                       eks_endpoint=f"http://127.0.0.1:{free_port()}") as hook:
        before = hook.review(admission_review(seed_pod)).json()["response"]
        assert before["allowed"] is True and "patch" not in before   # no object yet: untouched
        body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "PodIdentityAssociation",
                "metadata": {"name": "crd-sa", "namespace": NS},
                "spec": {"serviceAccount": "crd-sa", "roleArn": PI_ROLE}}
        k8s.CustomObjectsApi(api).create_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, body)
        assert _patch(hook.review(admission_review(seed_pod))) == SEED_004_PATCH
        k8s.CustomObjectsApi(api).delete_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "crd-sa")
        after = hook.review(admission_review(seed_pod)).json()["response"]
        assert "patch" not in after
    api.close()


def test_crd_associations_need_the_cluster_arn(lab: Lab) -> None:
    out = subprocess.run([str(PODID), "webhook", "--cluster-name", CLUSTER, "--self-signed", "--cert-dir",
                          str(lab.tmp / "no-arn"), "--associations", "crd"],
                         capture_output=True, text=True, timeout=60, env=lab.srv.env)
    assert out.returncode == 2 and "--associations crd needs --cluster-arn" in out.stderr
    assert not (lab.tmp / "no-arn").exists()
