"""The seeds' own kubectl commands (003, 004) give what the seeds show."""

from __future__ import annotations

import json

import yaml

from support.lab import Lab

NS = "lab"


def test_get_mutating_webhook_configuration(lab: Lab) -> None:
    out = lab.ok("kubectl get MutatingWebhookConfiguration")
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "WEBHOOKS", "AGE"]
    assert lines[1].split()[:2] == ["pod-identity-webhook", "1"]


def test_agent_pod_listed_by_label(lab: Lab) -> None:
    lab.wait_for("kubectl -n kube-system get pods -l app.kubernetes.io/name=eks-pod-identity-agent "
                 "--no-headers -o custom-columns=S:.status.phase", "Running")
    out = lab.ok("kubectl -n kube-system get pods -l app.kubernetes.io/name=eks-pod-identity-agent")
    row = out.splitlines()[1].split()
    assert row[0].startswith("eks-pod-identity-agent-") and row[1:3] == ["1/1", "Running"]


def test_agent_daemonset_yaml(lab: Lab) -> None:
    ds = yaml.safe_load(lab.ok("kubectl get ds -n kube-system eks-pod-identity-agent -o yaml"))
    spec = ds["spec"]["template"]["spec"]
    assert spec["hostNetwork"] is True
    c = spec["containers"][0]
    assert c["command"] == ["/go-runner", "/eks-pod-identity-agent", "server"]
    assert c["args"][:2] == ["--port", "80"] and "--probe-port" in c["args"]
    assert {(p["name"], p["containerPort"]) for p in c["ports"]} == {("proxy", 80), ("probes-port", 2703)}
    assert c["securityContext"]["capabilities"]["add"] == ["CAP_NET_BIND_SERVICE"]


def test_describe_sa(lab: Lab) -> None:
    out = lab.ok(f"kubectl -n {NS} describe sa s3-reader")
    assert "Name:" in out and "s3-reader" in out and f"Namespace:           {NS}" in out


def test_pod_volumes_jq(lab: Lab) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "vols", "namespace": NS},
           "spec": {"serviceAccountName": "s3-reader", "terminationGracePeriodSeconds": 0,
                    "containers": [{"name": "main", "image": "public.ecr.aws/aws-cli/aws-cli:2",
                                    "command": ["sleep", "3600"]}]}}
    lab.ok(f"echo '{json.dumps(pod)}' | kubectl apply -f -")
    out = lab.ok(f"kubectl -n {NS} get pod vols -o json | jq '.spec.volumes'")
    vols = {v["name"]: v for v in json.loads(out)}
    token = vols["eks-pod-identity-token"]["projected"]
    assert token["sources"] == [{"serviceAccountToken": {"audience": "pods.eks.amazonaws.com",
                                                         "expirationSeconds": 86400,
                                                         "path": "eks-pod-identity-token"}}]
