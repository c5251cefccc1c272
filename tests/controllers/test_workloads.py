"""Deployments, ReplicaSets and Jobs run through the real kubectl: pods from templates, with
their Pod Identity; scale, rollout restart/status, cascading delete."""

from __future__ import annotations

import json

from support.lab import CLUSTER, Lab

NS = "lab"
WHO_AM_I = ["aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"]


def _deploy(lab: Lab, name: str, replicas: int = 1, sa: str = "s3-reader") -> None:
    manifest = {"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": name, "namespace": NS},
                "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                         "template": {"metadata": {"labels": {"app": name}},
                                      "spec": {"serviceAccountName": sa, "terminationGracePeriodSeconds": 0,
                                               "containers": [{"name": "main",
                                                               "image": "public.ecr.aws/aws-cli/aws-cli:2",
                                                               "command": ["sleep", "3600"]}]}}}}
    lab.ok(f"echo '{json.dumps(manifest)}' | kubectl apply -f -")


def _pods(lab: Lab, selector: str) -> list[dict]:
    return [p for p in lab.kubectl_json("-n", NS, "get", "pods", "-l", selector)["items"]
            if not p["metadata"].get("deletionTimestamp")]


def test_deployment_pods_get_pod_identity(lab: Lab) -> None:
    _deploy(lab, "web")
    out = lab.ok(f"kubectl -n {NS} rollout status deployment/web --timeout=60s", timeout=90)
    assert 'deployment "web" successfully rolled out' in out
    rs = lab.kubectl_json("-n", NS, "get", "rs", "-l", "app=web")["items"]
    assert len(rs) == 1
    ref = rs[0]["metadata"]["ownerReferences"][0]
    assert ref["kind"] == "Deployment" and ref["name"] == "web" and ref["controller"] is True
    hash_ = rs[0]["metadata"]["labels"]["pod-template-hash"]
    assert rs[0]["metadata"]["name"] == f"web-{hash_}"
    pods = _pods(lab, "app=web")
    assert len(pods) == 1 and pods[0]["metadata"]["labels"]["pod-template-hash"] == hash_
    assert pods[0]["metadata"]["ownerReferences"][0]["uid"] == rs[0]["metadata"]["uid"]
    names = {v["name"] for v in pods[0]["spec"]["volumes"]}
    assert "eks-pod-identity-token" in names
    name = pods[0]["metadata"]["name"]
    lab.ok(f"kubectl -n {NS} wait --for=condition=Ready pod/{name} --timeout=60s", timeout=90)
    got = lab.exec(name, "aws sts get-caller-identity --output json")
    assert got.returncode == 0, got.stderr
    arn = json.loads(got.stdout)["Arn"]
    assert arn.startswith(f"arn:aws:sts::{lab.account}:assumed-role/s3-reader/eks-{CLUSTER}-{name}-"), arn
    d = lab.kubectl_json("-n", NS, "get", "deployment", "web")
    st = d["status"]
    assert st["observedGeneration"] == d["metadata"]["generation"]
    assert st["replicas"] == st["updatedReplicas"] == st["readyReplicas"] == st["availableReplicas"] == 1
    conds = {c["type"]: c for c in st["conditions"]}
    assert conds["Available"]["status"] == "True"
    assert conds["Progressing"]["reason"] == "NewReplicaSetAvailable"


def test_scale_deployment_and_replicaset(lab: Lab) -> None:
    _deploy(lab, "scaler")
    lab.ok(f"kubectl -n {NS} rollout status deployment/scaler --timeout=60s", timeout=90)
    out = lab.ok(f"kubectl -n {NS} scale deployment scaler --replicas=3")
    assert "deployment.apps/scaler scaled" in out
    lab.ok(f"kubectl -n {NS} rollout status deployment/scaler --timeout=60s", timeout=90)
    assert len(_pods(lab, "app=scaler")) == 3
    lab.ok(f"kubectl -n {NS} scale deployment scaler --replicas=1")
    lab.wait_for(f"kubectl -n {NS} get pods -l app=scaler --no-headers | grep -vc Terminating", "1")
    bad = lab.sh(f"kubectl -n {NS} scale deployment scaler --replicas=-1")
    assert bad.returncode != 0


def test_rollout_restart_makes_a_new_replicaset(lab: Lab) -> None:
    _deploy(lab, "roller")
    lab.ok(f"kubectl -n {NS} rollout status deployment/roller --timeout=60s", timeout=90)
    before = {p["metadata"]["name"] for p in _pods(lab, "app=roller")}
    lab.ok(f"kubectl -n {NS} rollout restart deployment/roller")
    out = lab.ok(f"kubectl -n {NS} rollout status deployment/roller --timeout=90s", timeout=120)
    assert "successfully rolled out" in out
    rs = lab.kubectl_json("-n", NS, "get", "rs", "-l", "app=roller")["items"]
    assert len(rs) == 2
    replicas = sorted(r["spec"]["replicas"] for r in rs)
    assert replicas == [0, 1]
    lab.wait_for(f"kubectl -n {NS} get pods -l app=roller --no-headers | grep -vc Terminating", "1")
    after = {p["metadata"]["name"] for p in _pods(lab, "app=roller")}
    assert after and not after & before
    ann = lab.kubectl_json("-n", NS, "get", "deployment", "roller")["spec"]["template"]["metadata"]
    assert "kubectl.kubernetes.io/restartedAt" in ann["annotations"]


def test_delete_deployment_cascades(lab: Lab) -> None:
    _deploy(lab, "gone")
    lab.ok(f"kubectl -n {NS} rollout status deployment/gone --timeout=60s", timeout=90)
    lab.ok(f"kubectl -n {NS} delete deployment gone --timeout=60s", timeout=90)
    lab.wait_for(f"kubectl -n {NS} get rs,pods -l app=gone --no-headers 2>&1 | grep -c gone || true", "0")


def test_delete_foreground_and_orphan(lab: Lab) -> None:
    _deploy(lab, "fg")
    _deploy(lab, "orph")
    for name in ("fg", "orph"):
        lab.ok(f"kubectl -n {NS} rollout status deployment/{name} --timeout=60s", timeout=90)
    lab.ok(f"kubectl -n {NS} delete deployment fg --cascade=foreground --timeout=60s", timeout=90)
    assert lab.sh(f"kubectl -n {NS} get deployment fg").returncode != 0
    assert lab.kubectl_json("-n", NS, "get", "rs", "-l", "app=fg")["items"] == []
    lab.ok(f"kubectl -n {NS} delete deployment orph --cascade=orphan --timeout=60s", timeout=90)
    rs = lab.kubectl_json("-n", NS, "get", "rs", "-l", "app=orph")["items"]
    assert len(rs) == 1 and not rs[0]["metadata"].get("ownerReferences")
    assert len(_pods(lab, "app=orph")) == 1


def test_job_runs_to_completion(lab: Lab) -> None:
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "who", "namespace": NS},
           "spec": {"completions": 2, "parallelism": 1,
                    "template": {"spec": {"serviceAccountName": "s3-reader", "restartPolicy": "Never",
                                          "containers": [{"name": "main",
                                                          "image": "public.ecr.aws/aws-cli/aws-cli:2",
                                                          "command": WHO_AM_I}]}}}}
    lab.ok(f"echo '{json.dumps(job)}' | kubectl apply -f -")
    lab.ok(f"kubectl -n {NS} wait --for=condition=complete job/who --timeout=90s", timeout=120)
    st = lab.kubectl_json("-n", NS, "get", "job", "who")["status"]
    assert st["succeeded"] == 2 and st.get("completionTime")
    logs = lab.ok(f"kubectl -n {NS} logs job/who")
    assert f"assumed-role/s3-reader/eks-{CLUSTER}-who-" in logs


def test_replicaset_alone(lab: Lab) -> None:
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "solo", "namespace": NS},
          "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "solo"}},
                   "template": {"metadata": {"labels": {"app": "solo"}},
                                "spec": {"terminationGracePeriodSeconds": 0, "containers": [
                                    {"name": "main", "image": "public.ecr.aws/aws-cli/aws-cli:2",
                                     "command": ["sleep", "3600"]}]}}}}
    lab.ok(f"echo '{json.dumps(rs)}' | kubectl apply -f -")
    lab.wait_for(f"kubectl -n {NS} get rs solo -o jsonpath='{{.status.readyReplicas}}'", "2")
    lab.ok(f"kubectl -n {NS} scale rs solo --replicas=1")
    lab.wait_for(f"kubectl -n {NS} get rs solo -o jsonpath='{{.status.replicas}}'", "1")


def test_kubectl_create_deployment_protobuf(lab: Lab) -> None:
    out = lab.ok(f"kubectl -n {NS} create deployment made --image=public.ecr.aws/aws-cli/aws-cli:2 "
                 "--replicas=2 --port=8080 -- sleep 3600")
    assert "deployment.apps/made created" in out
    d = lab.kubectl_json("-n", NS, "get", "deployment", "made")
    spec = d["spec"]
    assert spec["replicas"] == 2 and spec["selector"] == {"matchLabels": {"app": "made"}}
    c = spec["template"]["spec"]["containers"][0]
    assert c["image"] == "public.ecr.aws/aws-cli/aws-cli:2" and c["command"] == ["sleep", "3600"]
    assert c["ports"][0]["containerPort"] == 8080
    lab.ok(f"kubectl -n {NS} rollout status deployment/made --timeout=60s", timeout=90)
    assert len(_pods(lab, "app=made")) == 2
    zero = lab.ok(f"kubectl -n {NS} create deployment none --image=busybox --replicas=0 -o json")
    assert json.loads(zero)["spec"]["replicas"] == 0


def test_kubectl_create_job_protobuf(lab: Lab) -> None:
    out = lab.ok(f"kubectl -n {NS} create job made-job --image=public.ecr.aws/aws-cli/aws-cli:2 -- true")
    assert "job.batch/made-job created" in out
    lab.ok(f"kubectl -n {NS} wait --for=condition=complete job/made-job --timeout=90s", timeout=120)


def test_tables_describe_and_scale_subresource(lab: Lab) -> None:
    _deploy(lab, "shown", replicas=2)
    lab.ok(f"kubectl -n {NS} rollout status deployment/shown --timeout=60s", timeout=90)
    rows = lab.ok(f"kubectl -n {NS} get deploy shown").splitlines()
    assert rows[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert rows[1].split()[:4] == ["shown", "2/2", "2", "2"]
    rs_rows = lab.ok(f"kubectl -n {NS} get rs -l app=shown").splitlines()
    assert rs_rows[0].split() == ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
    assert rs_rows[1].split()[1:4] == ["2", "2", "2"]
    described = lab.ok(f"kubectl -n {NS} describe deployment shown")
    assert "NewReplicaSet:" in described and "ScalingReplicaSet" in described
    path = f"/clusters/{CLUSTER}/apis/apps/v1/namespaces/{NS}/deployments/shown/scale"
    scale = json.loads(lab.ok(f"kubectl get --raw {path}"))
    assert scale["kind"] == "Scale" and scale["spec"]["replicas"] == 2
    assert scale["status"] == {"replicas": 2, "selector": "app=shown"}
    dry = lab.sh(f"kubectl -n {NS} delete deployment shown --cascade=foreground --dry-run=server "
                 "--timeout=5s")
    assert dry.returncode == 0, dry.stderr
    live = lab.kubectl_json("-n", NS, "get", "deployment", "shown")
    assert live["metadata"].get("deletionTimestamp") is None
