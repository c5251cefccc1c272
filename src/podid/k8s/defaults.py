"""Defaulting applied on create/update, as kube-apiserver's defaulters do for the served kinds."""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable
from typing import Any

Defaulter = Callable[[dict[str, Any]], None]


def _image_pull_policy(image: str) -> str:
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    if "@" in image:
        return "IfNotPresent"
    if ":" not in last or last.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


def _container(c: dict[str, Any]) -> None:
    if isinstance(c.get("image"), str) and c["image"]:
        c.setdefault("imagePullPolicy", _image_pull_policy(c["image"]))
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    c.setdefault("resources", {})
    for port in c.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    for env in c.get("env") or []:
        ref = (env.get("valueFrom") or {}).get("fieldRef") if isinstance(env, dict) else None
        if isinstance(ref, dict):
            ref.setdefault("apiVersion", "v1")


def _volume(v: dict[str, Any]) -> None:
    if "projected" in v and isinstance(v["projected"], dict):
        v["projected"].setdefault("defaultMode", 420)
        for src in v["projected"].get("sources") or []:
            sat = src.get("serviceAccountToken") if isinstance(src, dict) else None
            if isinstance(sat, dict):
                sat.setdefault("expirationSeconds", 3600)
    if "secret" in v and isinstance(v["secret"], dict):
        v["secret"].setdefault("defaultMode", 420)
    if "configMap" in v and isinstance(v["configMap"], dict):
        v["configMap"].setdefault("defaultMode", 420)


def pod_spec(spec: dict[str, Any]) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    if spec.get("serviceAccount") and not spec.get("serviceAccountName"):
        spec["serviceAccountName"] = spec["serviceAccount"]
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            if isinstance(c, dict):
                _container(c)
    for v in spec.get("volumes") or []:
        if isinstance(v, dict):
            _volume(v)


def pod(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    pod_spec(spec)
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("priority", 0)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    if "tolerations" not in spec:
        spec["tolerations"] = [
            {
                "key": f"node.kubernetes.io/{t}",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            }
            for t in ("not-ready", "unreachable")
        ]
    status = obj.setdefault("status", {})
    status.setdefault("phase", "Pending")
    status.setdefault("qosClass", _qos(spec))


def _qos(spec: dict[str, Any]) -> str:
    containers = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
    if not any(
        (c.get("resources") or {}).get("requests") or (c.get("resources") or {}).get("limits")
        for c in containers
    ):
        return "BestEffort"
    guaranteed = all(
        (c.get("resources") or {}).get("limits", {}).get("cpu")
        and (c.get("resources") or {}).get("limits", {}).get("memory")
        for c in containers
    )
    return "Guaranteed" if guaranteed else "Burstable"


def workload(obj: dict[str, Any]) -> None:
    """Deployment/DaemonSet: default the pod template and strategy."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    tmpl = spec.setdefault("template", {})
    if isinstance(tmpl, dict) and isinstance(tmpl.get("spec"), dict):
        pod_spec(tmpl["spec"])
    spec.setdefault("revisionHistoryLimit", 10)
    if obj.get("kind") == "Deployment":
        spec.setdefault("replicas", 1)
        spec.setdefault("progressDeadlineSeconds", 600)
        spec.setdefault(
            "strategy",
            {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
        )
    else:
        spec.setdefault(
            "updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
        )
    obj.setdefault("status", {})
    meta = obj.setdefault("metadata", {})
    meta.setdefault("generation", 1)


def replicaset(obj: dict[str, Any]) -> None:
    """ReplicaSet: the pod template and ``replicas: 1``."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    tmpl = spec.get("template")
    if isinstance(tmpl, dict) and isinstance(tmpl.get("spec"), dict):
        pod_spec(tmpl["spec"])
    spec.setdefault("replicas", 1)
    obj.setdefault("status", {"replicas": 0})
    obj.setdefault("metadata", {}).setdefault("generation", 1)


def job(obj: dict[str, Any]) -> None:
    """Job: completions/parallelism 1, backoffLimit 6, NonIndexed, and the selector the API server
    generates from the Job's uid (``batch.kubernetes.io/controller-uid``) with its template labels."""
    spec = obj.setdefault("spec", {})
    meta = obj.setdefault("metadata", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("parallelism", 1)
    spec.setdefault("completions", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("manualSelector", False)
    spec.setdefault("podReplacementPolicy", "TerminatedOrFailed")
    tmpl = spec.get("template")
    uid, name = meta.get("uid"), meta.get("name")
    if uid and not spec.get("selector") and isinstance(tmpl, dict):
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
        labels = tmpl.setdefault("metadata", {}).setdefault("labels", {})
        for key in ("batch.kubernetes.io/controller-uid", "controller-uid"):
            labels.setdefault(key, uid)
        for key in ("batch.kubernetes.io/job-name", "job-name"):
            labels.setdefault(key, name)
    if isinstance(tmpl, dict) and isinstance(tmpl.get("spec"), dict):
        restart = tmpl["spec"].get("restartPolicy")
        pod_spec(tmpl["spec"])
        if restart is None:
            tmpl["spec"].pop("restartPolicy", None)   # required for Jobs: validation says so
    obj.setdefault("status", {})
    meta.setdefault("generation", 1)


def namespace(obj: dict[str, Any]) -> None:
    obj.setdefault("spec", {"finalizers": ["kubernetes"]})
    obj.setdefault("status", {"phase": "Active"})
    labels = obj.setdefault("metadata", {}).setdefault("labels", {})
    labels["kubernetes.io/metadata.name"] = obj["metadata"].get("name", "")


def secret(obj: dict[str, Any]) -> None:
    obj.setdefault("type", "Opaque")
    string_data = obj.pop("stringData", None)
    if isinstance(string_data, dict):
        import base64

        data = obj.setdefault("data", {})
        for k, v in string_data.items():
            data[k] = base64.b64encode(str(v).encode()).decode()


def service(obj: dict[str, Any]) -> None:
    """Service: ``ClusterIP`` with an address from 10.96.0.0/12 (derived from the namespace/name, so
    every replica and every re-default agree), TCP ports targeting themselves, single-stack IPv4."""
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec["type"] in ("ClusterIP", "NodePort", "LoadBalancer") and spec.get("clusterIP") != "None":
        if not spec.get("clusterIP"):
            meta = obj.get("metadata") or {}
            digest = hashlib.sha256(f"{meta.get('namespace')}/{meta.get('name')}".encode()).digest()
            offset = 1 + int.from_bytes(digest[:4], "big") % ((1 << 20) - 2)
            spec["clusterIP"] = str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("10.96.0.0")) + offset))
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
    obj.setdefault("status", {"loadBalancer": {}})


DEFAULTERS: dict[str, Defaulter] = {
    "services": service,
    "pods": pod,
    "deployments": workload,
    "daemonsets": workload,
    "replicasets": replicaset,
    "jobs": job,
    "namespaces": namespace,
    "secrets": secret,
}


def apply_defaults(resource: str, obj: dict[str, Any]) -> None:
    fn = DEFAULTERS.get(resource)
    if fn is not None:
        fn(obj)
