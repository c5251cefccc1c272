"""The ``eks-pod-identity-agent`` DaemonSet in ``kube-system``, as the EKS add-on installs it.

podid runs the agent itself (:mod:`podid.cluster.node`); the DaemonSet object is what
``kubectl get ds -n kube-system eks-pod-identity-agent`` shows, with its status following the
in-process agent (1 desired; 1 ready while the agent serves).
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from podid.eks.addons import POD_IDENTITY_AGENT
from podid.k8s import errors as k8s_errors
from podid.k8s.defaults import apply_defaults
from podid.k8s.meta import prepare_new
from podid.k8s.ownership import owner_reference
from podid.k8s.podruntime import running_status
from podid.k8s.registry import Cluster, WriteOptions
from podid.k8s.resources import find
from podid.k8s.store import AlreadyExistsError, ConflictError, NotFoundError

NAMESPACE = "kube-system"
IMAGE = "602401143452.dkr.ecr.{region}.amazonaws.com/eks/eks-pod-identity-agent:{version}"
MANAGER = "eks"
NODE = "podid-node"


def _rt() -> Any:
    rt = find("apps", "v1", "daemonsets")
    assert rt is not None
    return rt


def manifest(region: str, version: str, cluster: str) -> dict[str, Any]:
    """The DaemonSet object (labels, hostNetwork, args as the managed add-on)."""
    labels = {"app.kubernetes.io/name": POD_IDENTITY_AGENT, "app.kubernetes.io/instance": POD_IDENTITY_AGENT}
    image = IMAGE.format(region=region, version=version.split("-eksbuild")[0] if version else "latest")
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": POD_IDENTITY_AGENT, "namespace": NAMESPACE,
                     "labels": {**labels, "app.kubernetes.io/managed-by": "podid",
                                "app.kubernetes.io/version": version}},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "hostNetwork": True,
                    "priorityClassName": "system-node-critical",
                    "containers": [{
                        "name": POD_IDENTITY_AGENT,
                        "image": image,
                        "command": ["/go-runner", "/eks-pod-identity-agent", "server"],
                        "args": ["--port", "80", "--cluster-name", cluster, "--probe-port", "2703"],
                        "env": [{"name": "AWS_REGION", "value": region}],
                        "ports": [{"containerPort": 80, "name": "proxy", "protocol": "TCP"},
                                  {"containerPort": 2703, "name": "probes-port", "protocol": "TCP"}],
                        "securityContext": {"capabilities": {"add": ["CAP_NET_BIND_SERVICE"]}},
                    }],
                },
            },
        },
    }


def ensure(cluster: Cluster, region: str, version: str) -> dict[str, Any]:
    """Create the DaemonSet if absent; returns it."""
    rt = _rt()
    found = cluster.store.get(rt.group, rt.resource, NAMESPACE, POD_IDENTITY_AGENT)
    if found is not None:
        return found
    try:
        return cluster.create(rt, NAMESPACE, manifest(region, version, cluster.name),
                              WriteOptions(manager=MANAGER))
    except k8s_errors.StatusError:
        again = cluster.store.get(rt.group, rt.resource, NAMESPACE, POD_IDENTITY_AGENT)
        if again is None:
            raise
        return again


def _agent_pod(cluster: Cluster, ds: dict[str, Any], ready: bool) -> None:
    """The DaemonSet's one pod (the in-process agent): stored, not run, Running while it serves."""
    ds_meta = ds["metadata"]
    name = f"{POD_IDENTITY_AGENT}-{str(ds_meta['uid']).replace('-', '')[:5]}"
    pod = cluster.store.get("", "pods", NAMESPACE, name)
    if pod is None:
        tmpl = copy.deepcopy((ds.get("spec") or {}).get("template") or {})
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "namespace": NAMESPACE,
                            "labels": dict((tmpl.get("metadata") or {}).get("labels") or {}),
                            "ownerReferences": [owner_reference(ds)]},
               "spec": {**(tmpl.get("spec") or {}), "nodeName": NODE, "serviceAccountName": "default"}}
        prepare_new(pod, NAMESPACE)
        apply_defaults("pods", pod)
    status = running_status(pod, NODE, "127.0.0.1") if ready else {"phase": "Pending"}
    old = pod.get("status") or {}
    if old.get("phase") == status.get("phase") and "resourceVersion" in pod["metadata"]:
        return
    pod["status"] = status
    with contextlib.suppress(ConflictError, NotFoundError, AlreadyExistsError):
        if "resourceVersion" in pod["metadata"]:
            cluster.store.update("", "pods", pod, int(pod["metadata"]["resourceVersion"]))
        else:
            cluster.store.create("", "pods", pod)


def set_ready(cluster: Cluster, ready: bool) -> None:
    """Write the DaemonSet status (one node; ready when the agent serves) and its pod's."""
    rt = _rt()
    found = cluster.store.get(rt.group, rt.resource, NAMESPACE, POD_IDENTITY_AGENT)
    if found is not None:
        _agent_pod(cluster, found, ready)
    for _ in range(3):
        obj = cluster.store.get(rt.group, rt.resource, NAMESPACE, POD_IDENTITY_AGENT)
        if obj is None:
            return
        n = 1 if ready else 0
        status = {"currentNumberScheduled": 1, "desiredNumberScheduled": 1, "numberMisscheduled": 0,
                  "numberReady": n, "numberAvailable": n, "updatedNumberScheduled": 1,
                  "observedGeneration": int((obj.get("metadata") or {}).get("generation") or 1)}
        if not ready:
            status["numberUnavailable"] = 1
        if obj.get("status") == status:
            return
        obj["status"] = status
        try:
            rv = (obj.get("metadata") or {}).get("resourceVersion")
            cluster.store.update(rt.group, rt.resource, obj, int(rv) if rv else None)
            return
        except ConflictError:
            continue
        except NotFoundError:
            return


def exists(cluster: Cluster) -> bool:
    """Whether the DaemonSet object is present."""
    rt = _rt()
    return cluster.store.get(rt.group, rt.resource, NAMESPACE, POD_IDENTITY_AGENT) is not None


def remove(cluster: Cluster) -> None:
    """Delete the DaemonSet (add-on deleted)."""
    rt = _rt()
    with contextlib.suppress(k8s_errors.StatusError):
        cluster.delete(rt, NAMESPACE, POD_IDENTITY_AGENT, {})
