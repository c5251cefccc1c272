"""Pods and ServiceAccounts shaped like the seeds' clusters (as the API server hands them over)."""

from __future__ import annotations

import copy
from typing import Any

ROLE = "arn:aws:iam::111122223333:role/eksctl-myeks-addon-iamserviceaccount-default--Role1-3OtbVkhc7PHP"
PI_ROLE = "arn:aws:iam::111122223333:role/s3-eks-pod-identity-role"


def kube_api_access(name: str = "kube-api-access-dccvr") -> dict[str, Any]:
    return {
        "name": name,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                {
                    "downwardAPI": {
                        "items": [
                            {
                                "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                "path": "namespace",
                            }
                        ]
                    }
                },
            ],
        },
    }


def pod(
    name: str = "eks-iam-test3",
    sa: str = "my-sa",
    namespace: str = "default",
    containers: list[dict[str, Any]] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    """A pod after the built-in ServiceAccount admission (kube-api-access volume + mount)."""
    mount = {
        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
        "name": "kube-api-access-dccvr",
        "readOnly": True,
    }
    if containers is None:
        containers = [{"name": "my-aws-cli", "image": "amazon/aws-cli:latest", "command": ["sleep", "36000"]}]
    containers = copy.deepcopy(containers)
    for c in containers + list(spec.get("initContainers", [])):
        c.setdefault("volumeMounts", []).append(dict(mount))
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "serviceAccountName": sa,
            "containers": containers,
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 0,
            "volumes": [kube_api_access()],
            **spec,
        },
    }
    return body


def service_account(name: str = "my-sa", namespace: str = "default", **annotations: str) -> dict[str, Any]:
    ann = {f"eks.amazonaws.com/{k.replace('_', '-')}": v for k, v in annotations.items()}
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": "sa-uid",
            "labels": {"app.kubernetes.io/managed-by": "eksctl"},
            **({"annotations": ann} if ann else {}),
        },
    }


def env(pod_obj: dict[str, Any], index: int = 0, key: str = "containers") -> list[dict[str, Any]]:
    return pod_obj["spec"][key][index].get("env", [])


def env_map(pod_obj: dict[str, Any], index: int = 0, key: str = "containers") -> dict[str, Any]:
    return {e["name"]: e.get("value") for e in env(pod_obj, index, key)}


def volume(pod_obj: dict[str, Any], name: str) -> dict[str, Any]:
    return next(v for v in pod_obj["spec"]["volumes"] if v["name"] == name)


def describe_lines(pod_obj: dict[str, Any], index: int = 0) -> list[str]:
    """`kubectl describe pod` Environment and Mounts lines of one container."""
    container = pod_obj["spec"]["containers"][index]
    width = max((len(e["name"]) + 1 for e in container.get("env", [])), default=0) + 2
    lines = [f"{(e['name'] + ':').ljust(width)}{e['value']}" for e in container.get("env", [])]
    for m in sorted(container.get("volumeMounts", []), key=lambda m: m["mountPath"]):
        lines.append(f"{m['mountPath']} from {m['name']} ({'ro' if m.get('readOnly') else 'rw'})")
    return lines
