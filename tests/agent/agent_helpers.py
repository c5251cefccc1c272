"""Shared helpers for podid.agent tests: tokens, a fake upstream and clock for unit tests, and
`PodWorld` - clusters, pods, tokens and the node user in a real `podid up` for integration tests."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import jwt

from podid.agent import AgentConfig, EksAuthUpstream, PodCredentials
from podid.eks.server import HEARTBEAT_PATH
from support.eks import (
    add_pod,
    cluster_keys,
    create_role,
    delete_pod,
    node_credentials,
    open_store,
    pod_token,
)
from support.server import PodidServer, clean_env

T0 = 1_750_000_000.0


def make_token(pod: str = "pod-a", *, now: float | None = None, exp_in: float = 86400, **extra: Any) -> str:
    """A service-account-shaped JWT (signature irrelevant to the agent)."""
    now = time.time() if now is None else now
    claims: dict[str, Any] = {
        "iss": "https://oidc.example/id/ABC",
        "sub": f"system:serviceaccount:default:{pod}",
        "aud": ["pods.eks.amazonaws.com"],
        "iat": int(now),
        "nbf": int(now),
        "exp": int(now + exp_in),
        "kubernetes.io": {"namespace": "default", "pod": {"name": pod, "uid": f"uid-{pod}"}},
    }
    claims.update(extra)
    return jwt.encode(claims, "k" * 32, algorithm="HS256")


class FakeClock:
    """A settable clock."""

    def __init__(self, start: float = T0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeUpstream:
    """Injected upstream for unit tests: counts calls, returns per-token credentials or raises."""

    def __init__(self, clock: Any = time.time, *, lifetime: float = 6 * 3600, delay: float = 0.0) -> None:
        self.clock, self.lifetime, self.delay = clock, lifetime, delay
        self.calls: list[str] = []
        self.error: BaseException | None = None
        self._lock = threading.Lock()

    def __call__(self, cluster_name: str, token: str) -> PodCredentials:
        with self._lock:
            self.calls.append(token)
            n = len(self.calls)
        if self.delay:
            time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return PodCredentials(
            access_key_id=f"ASIAFAKE{n:012d}",
            secret_access_key=f"secret-{n}",
            session_token=f"session-{n}-{abs(hash(token)) % 10**8}",
            expiration=self.clock() + self.lifetime,
            account_id="123456789012",
            role_arn="arn:aws:sts::123456789012:assumed-role/r/s",
        )


def has_ipv6_loopback() -> bool:
    """True when [::1] can be bound here."""
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


# -- integration: a real `podid up` with EKS, EKS Auth and IAM -------------------------------------

NODE_USER = "agent-node"


def agent_config(cluster: str, **kw: Any) -> AgentConfig:
    """Loopback-only agent on an ephemeral port, probes and metrics off unless asked."""
    base: dict[str, Any] = {
        "cluster_name": cluster,
        "port": 0,
        "bind_hosts": ("127.0.0.1",),
        "probe_port": None,
        "metrics_port": None,
    }
    base.update(kw)
    return AgentConfig(**base)


@dataclass(frozen=True)
class Pod:
    """A pod in a podid cluster, with a projected token signed by the cluster's issuer keys."""

    cluster: str
    namespace: str
    service_account: str
    name: str
    uid: str
    sa_uid: str
    token: str
    role_name: str | None
    association_id: str | None


@dataclass
class PodWorld:
    """A running `podid up`, its store and a node IAM user (only eks-auth:AssumeRoleForPodIdentity)."""

    server: PodidServer
    store: Any
    node: tuple[str, str]

    @classmethod
    def create(cls, server: PodidServer) -> PodWorld:
        return cls(server, open_store(server), node_credentials(server, NODE_USER))

    @property
    def account_id(self) -> str:
        return self.server.account_id

    def cluster(self, name: str, *, addon: bool = False) -> str:
        eks = self.server.client("eks")
        eks.create_cluster(
            name=name, roleArn=f"arn:aws:iam::{self.account_id}:role/cluster", resourcesVpcConfig={}
        )
        if addon:
            eks.create_addon(clusterName=name, addonName="eks-pod-identity-agent")
        return name

    def pod(
        self,
        cluster: str,
        name: str,
        *,
        namespace: str = "default",
        service_account: str | None = None,
        associate: bool = True,
        trust: dict[str, Any] | None = None,
        lifetime: int = 86400,
    ) -> Pod:
        """A pod (and its ServiceAccount); by default a role trusting pods.eks.amazonaws.com and an
        association for the ServiceAccount. Token lifetime 24 h so fake clocks can run ahead."""
        sa = service_account or f"sa-{name}"
        role_name = assoc_id = None
        if associate:
            role_name = f"{cluster}-{sa}"[:64]
            role_arn = create_role(self.server, role_name, trust)
            assoc_id = self.server.client("eks").create_pod_identity_association(
                clusterName=cluster, namespace=namespace, serviceAccount=sa, roleArn=role_arn
            )["association"]["associationId"]
        sa_uid, pod_uid = add_pod(self.store, cluster, namespace, sa, name)
        token = pod_token(
            self.server, self.store, cluster, namespace, sa, sa_uid, name, pod_uid, lifetime=lifetime
        )
        return Pod(cluster, namespace, sa, name, pod_uid, sa_uid, token, role_name, assoc_id)

    def delete_pod(self, pod: Pod) -> None:
        delete_pod(self.store, pod.cluster, pod.namespace, pod.name)

    def forge(self, pod: Pod) -> str:
        """`pod`'s genuine claims and the cluster's active kid, signed with a key podid never issued."""
        from cryptography.hazmat.primitives.asymmetric import rsa

        _, keys = cluster_keys(self.store, self.account_id, self.server.region, pod.cluster)
        claims = jwt.decode(pod.token, options={"verify_signature": False})
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": keys.active.kid})

    def node_session(self) -> boto3.Session:
        return boto3.Session(
            aws_access_key_id=self.node[0],
            aws_secret_access_key=self.node[1],
            region_name=self.server.region,
        )

    def upstream(self, **kw: Any) -> EksAuthUpstream:
        """The agent's real EKS Auth client, signed as the node user, endpoint = podid."""
        kw.setdefault("max_attempts", 1)
        return EksAuthUpstream(
            session=self.node_session(), region=self.server.region, endpoint_url=self.server.url, **kw
        )

    def heartbeat_url(self, cluster: str) -> str:
        return self.server.url + HEARTBEAT_PATH.format(name=cluster)

    def addon_status(self, cluster: str) -> dict[str, Any]:
        addon = self.server.client("eks").describe_addon(
            clusterName=cluster, addonName="eks-pod-identity-agent"
        )["addon"]
        return dict(addon)

    def wait_addon_status(self, cluster: str, wanted: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        addon = self.addon_status(cluster)
        while addon["status"] != wanted and time.monotonic() < deadline:
            time.sleep(0.1)
            addon = self.addon_status(cluster)
        return addon

    def node_env(self) -> dict[str, str]:
        """Environment of a node-agent process: the node user's keys, podid's region, nothing else."""
        env = clean_env()
        env.update(
            AWS_ACCESS_KEY_ID=self.node[0],
            AWS_SECRET_ACCESS_KEY=self.node[1],
            AWS_REGION=self.server.region,
            AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        )
        return env

    def aws_as_pod(
        self, agent_url: str, token_file: Path, *args: str, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """`aws ARGS` in a subprocess whose only credentials come from botocore's container
        provider (the agent at `agent_url`, the pod's token file), AWS_ENDPOINT_URL = podid."""
        env = clean_env()
        env.update(
            AWS_CONTAINER_CREDENTIALS_FULL_URI=agent_url,
            AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(token_file),
            AWS_ENDPOINT_URL=self.server.url,
            AWS_REGION=self.server.region,
            AWS_DEFAULT_REGION=self.server.region,
            AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        )
        return subprocess.run(
            ["aws", *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
        )

    def audit_event(self, request_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """podid's audit record of one request (bounded wait: the line is written after the answer)."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.server.audit_events():
                if event.get("requestID") == request_id:
                    return event
            if time.monotonic() > deadline:
                raise AssertionError(f"no audit event {request_id}")
            time.sleep(0.05)


def write_token(path: Path, token: str) -> Path:
    """A projected-token file (no trailing newline, as the kubelet writes it)."""
    path.write_text(token)
    return path
