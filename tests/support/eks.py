"""Shared helpers for the EKS / EKS Auth tests: a real ``podid up`` with podid.eks installed,
pods and ServiceAccounts in podid.k8s's object store, ServiceAccount tokens signed by a cluster's
issuer keys (read back from the server's own database), and IAM setup through boto3.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from support.server import PodidServer, start_podid

POD_IDENTITY_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
                   "Action": ["sts:AssumeRole", "sts:TagSession"]}],
}


@contextlib.contextmanager
def start_eks_server(state_dir: Path, **kwargs: Any) -> Iterator[PodidServer]:
    """A real ``podid up`` (podid.eks is one of its server extensions) without its own node agents:
    these tests drive heartbeats and ``podid agent`` themselves."""
    state_dir.mkdir(parents=True, exist_ok=True)
    kwargs["extra_args"] = ["--no-node-agent", *kwargs.get("extra_args", ())]
    with start_podid(state_dir, **kwargs) as server:
        yield server


def open_store(server: PodidServer) -> Any:
    """The server's own database, opened from the test process (SQLite WAL: safe to share)."""
    from podid.store import Store

    return Store.open_dir(server.state_dir)


def add_pod(store: Any, cluster: str, namespace: str, sa: str, pod: str,
            *, sa_uid: str | None = None, pod_uid: str | None = None) -> tuple[str, str]:
    """Create a ServiceAccount (if absent) and a pod in podid.k8s's object store.

    Returns ``(sa_uid, pod_uid)``."""
    from podid.k8s import SqlObjectStore, create_tables

    create_tables(store.engine)
    objects = SqlObjectStore(store.engine, cluster)
    existing = objects.get("", "serviceaccounts", namespace, sa)
    if existing is None:
        sa_uid = sa_uid or str(uuid.uuid4())
        meta = {"name": sa, "namespace": namespace, "uid": sa_uid}
        body = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}
        objects.create("", "serviceaccounts", body)
    else:
        sa_uid = existing["metadata"]["uid"]
    pod_uid = pod_uid or str(uuid.uuid4())
    objects.create("", "pods", {"apiVersion": "v1", "kind": "Pod",
                                "metadata": {"name": pod, "namespace": namespace, "uid": pod_uid},
                                "spec": {"serviceAccountName": sa, "containers": []}})
    return str(sa_uid), pod_uid


def delete_pod(store: Any, cluster: str, namespace: str, pod: str) -> None:
    from podid.k8s import SqlObjectStore

    SqlObjectStore(store.engine, cluster).delete("", "pods", namespace, pod)


def cluster_keys(store: Any, account: str, region: str, cluster: str) -> tuple[Any, Any]:
    """``(ClusterRecord, IssuerKeys)`` as the server stored them."""
    from podid.eks.repo import EksRepo
    from podid.oidc import IssuerKeys

    repo = EksRepo.for_store(store)
    record = repo.get_cluster(account, region, cluster)
    assert record is not None, cluster
    raw = repo.get_issuer_keys(record.pk)
    assert raw is not None
    return record, IssuerKeys.from_record(raw)


def pod_token(server: PodidServer, store: Any, cluster: str, namespace: str, sa: str, sa_uid: str,
              pod: str, pod_uid: str, *, audience: str = "pods.eks.amazonaws.com",
              lifetime: int = 3600, now: int | None = None, issuer: str | None = None) -> str:
    """A projected ServiceAccount token signed with the cluster's active key."""
    from podid.oidc import issue_token

    _record, keys = cluster_keys(store, server.account_id, server.region, cluster)
    if issuer is None:
        issuer = server.client("eks").describe_cluster(name=cluster)["cluster"]["identity"]["oidc"]["issuer"]
    return issue_token(keys, issuer, namespace, sa, sa_uid, [audience], lifetime, pod=(pod, pod_uid), now=now)


def create_role(server: PodidServer, name: str, trust: dict[str, Any] | None = None,
                policy: dict[str, Any] | None = None) -> str:
    iam = server.client("iam")
    doc = json.dumps(trust or POD_IDENTITY_TRUST)
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc)["Role"]["Arn"]
    if policy is not None:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(policy))
    return str(arn)


def node_credentials(server: PodidServer, name: str = "node") -> tuple[str, str]:
    """A user allowed only eks-auth:AssumeRoleForPodIdentity (the node agent's permission)."""
    iam = server.client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="node", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "eks-auth:AssumeRoleForPodIdentity", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def env_without_aws() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
