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


def _seed_patch(volume_name: str, mount_path: str, audience: str, token_path: str,
                identity_env: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [
        {"op": "add", "path": "/spec/containers/0/volumeMounts/1",
         "value": {"name": volume_name, "readOnly": True, "mountPath": mount_path}},
        {"op": "add", "path": "/spec/containers/0/env", "value": [
            {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"},
            {"name": "AWS_DEFAULT_REGION", "value": "ap-northeast-2"},
            {"name": "AWS_REGION", "value": "ap-northeast-2"},
            *identity_env,
        ]},
        {"op": "add", "path": "/spec/volumes/0", "value": {"name": volume_name, "projected": {
            "sources": [{"serviceAccountToken": {"audience": audience, "expirationSeconds": 86400,
                                                 "path": token_path}}],
            "defaultMode": 420}}},
    ]


#: The RFC 6902 patch EKS's webhook (region ap-northeast-2, regional STS) applies to seed 003's
#: ``eks-iam-test3`` pod of ServiceAccount ``my-sa`` annotated with ROLE: the env, mount and
#: ``aws-iam-token`` volume of the seed's ``kubectl get pod -o json`` / ``describe``.
SEED_003_PATCH = _seed_patch(
    "aws-iam-token", "/var/run/secrets/eks.amazonaws.com/serviceaccount", "sts.amazonaws.com", "token",
    [{"name": "AWS_ROLE_ARN", "value": ROLE},
     {"name": "AWS_WEB_IDENTITY_TOKEN_FILE",
      "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}])

#: Seed 004's ``eks-pod-identity`` pod of ServiceAccount ``s3-sa`` with a Pod Identity association
#: (role PI_ROLE): container-credentials env and the ``eks-pod-identity-token`` volume.
SEED_004_PATCH = _seed_patch(
    "eks-pod-identity-token", "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount",
    "pods.eks.amazonaws.com", "eks-pod-identity-token",
    [{"name": "AWS_CONTAINER_CREDENTIALS_FULL_URI", "value": "http://169.254.170.23/v1/credentials"},
     {"name": "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
      "value": "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"}])


def admission_review(obj: dict[str, Any], uid: str = "705ab4f5-6393-11e8-b7cc-42010a800002",
                     **request: Any) -> dict[str, Any]:
    """An ``admission.k8s.io/v1`` AdmissionReview for a pod CREATE, as the API server posts it."""
    req = {
        "uid": uid,
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
        "namespace": obj.get("metadata", {}).get("namespace", "default"),
        "operation": "CREATE",
        "userInfo": {"username": "admin"},
        "object": obj,
        "oldObject": None,
        "dryRun": False,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
    }
    req.update(request)
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req}
