"""A real ``podid broker`` (and ``podid agent``) for tests, against a ``podid up`` as "AWS".

``BrokerWorld`` holds a ``podid up`` started with ``--tls-port`` (its AWS endpoint over https,
chained to ``STATE/ca.crt``), an IAM user the broker runs as (sts:AssumeRole/TagSession, the two
EKS association reads), clusters, pods and their projected tokens. ``start_broker`` runs the
broker subprocess with only that user's keys (SigV4 to STS and EKS over https), ``start_agent``
the node agent pointed at a broker, and ``aws_as_pod`` / ``boto3_as_pod`` the SDKs with only the
Pod Identity variables.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from support.eks import add_pod, node_credentials, open_store, pod_token
from support.netns import AGENT_V4, NodeAndPod, node_and_pod
from support.server import BIN, PODID, PodidServer, clean_env, free_port

BROKER_USER = "pod-identity-broker"
BROKER_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["eks:ListPodIdentityAssociations",
                                       "eks:DescribePodIdentityAssociation"], "Resource": "*"},
    ],
}


def broker_trust(principal: str) -> dict[str, Any]:
    """A role trust for the broker's principal (what a role needs to be served by the broker)."""
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]}


@dataclass
class Process:
    """A started subprocess with its log file and URL."""

    url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)


def wait_http(url: str, proc: subprocess.Popen[bytes], log_path: Path, timeout: float = 30,
              verify: str | bool = True) -> None:
    """Poll ``url`` until it answers (any status), bounded by ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited {proc.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            httpx.get(url, timeout=1, verify=verify)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{url} did not answer in {timeout} s:\n{log_path.read_text(errors='replace')}")


@dataclass(frozen=True)
class PodRef:
    cluster: str
    namespace: str
    service_account: str
    name: str
    uid: str
    sa_uid: str
    token: str


@dataclass
class BrokerWorld:
    server: PodidServer
    tmp: Path
    store: Any = None
    broker_keys: tuple[str, str] = ("", "")
    broker_arn: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, server: PodidServer, tmp: Path) -> BrokerWorld:
        world = cls(server, tmp)
        world.store = open_store(server)
        world.info = json.loads((server.state_dir / "server.json").read_text())
        iam = server.client("iam")
        iam.create_user(UserName=BROKER_USER)
        iam.put_user_policy(UserName=BROKER_USER, PolicyName="broker",
                            PolicyDocument=json.dumps(BROKER_POLICY))
        key = iam.create_access_key(UserName=BROKER_USER)["AccessKey"]
        world.broker_keys = (key["AccessKeyId"], key["SecretAccessKey"])
        world.broker_arn = f"arn:aws:iam::{server.account_id}:user/{BROKER_USER}"
        return world

    @property
    def tls_url(self) -> str:
        return str(self.info["tls_url"])

    @property
    def ca(self) -> str:
        return str(self.server.state_dir / "ca.crt")

    def cluster(self, name: str) -> str:
        self.server.client("eks").create_cluster(
            name=name, roleArn=f"arn:aws:iam::{self.server.account_id}:role/cluster", resourcesVpcConfig={})
        return name

    def issuer(self, cluster: str) -> str:
        out = self.server.client("eks").describe_cluster(name=cluster)
        return str(out["cluster"]["identity"]["oidc"]["issuer"])

    def cluster_arn(self, cluster: str) -> str:
        return str(self.server.client("eks").describe_cluster(name=cluster)["cluster"]["arn"])

    def role(self, name: str, trust: dict[str, Any] | None = None,
             policy: dict[str, Any] | None = None) -> str:
        iam = self.server.client("iam")
        doc = json.dumps(trust or broker_trust(self.broker_arn))
        arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc)["Role"]["Arn"])
        if policy:
            iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(policy))
        return arn

    def associate(self, cluster: str, namespace: str, sa: str, role_arn: str, **extra: Any) -> dict[str, Any]:
        out = self.server.client("eks").create_pod_identity_association(
            clusterName=cluster, namespace=namespace, serviceAccount=sa, roleArn=role_arn, **extra)
        return dict(out["association"])

    def pod(self, cluster: str, name: str, *, namespace: str = "default", sa: str | None = None,
            audience: str = "pods.eks.amazonaws.com", lifetime: int = 86400,
            now: int | None = None) -> PodRef:
        sa = sa or f"sa-{name}"
        sa_uid, pod_uid = add_pod(self.store, cluster, namespace, sa, name)
        token = pod_token(self.server, self.store, cluster, namespace, sa, sa_uid, name, pod_uid,
                          audience=audience, lifetime=lifetime, now=now)
        return PodRef(cluster, namespace, sa, name, pod_uid, sa_uid, token)

    def broker_env(self) -> dict[str, str]:
        env = clean_env()
        env.update(AWS_ACCESS_KEY_ID=self.broker_keys[0], AWS_SECRET_ACCESS_KEY=self.broker_keys[1],
                   AWS_REGION=self.server.region, AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        return env

    @contextlib.contextmanager
    def start_broker(self, cluster: str, *, token_review: bool = False, aws_url: str | None = None,
                     extra: Sequence[str] = (), name: str = "broker") -> Iterator[Process]:
        """``podid broker`` for ``cluster`` on 127.0.0.1, STS and EKS at ``aws_url`` (default: the
        https listener, verified with the local CA)."""
        port = free_port()
        aws_url = aws_url or self.tls_url
        args = [str(PODID), "broker", "--cluster-name", cluster, "--cluster-arn", self.cluster_arn(cluster),
                "--region", self.server.region, "--sts-endpoint", aws_url, "--eks-endpoint", aws_url,
                "--ca-bundle", self.ca, "--host", "127.0.0.1", "--port", str(port)]
        if token_review:
            args += ["--token-review", "--kubeconfig", str(self.info["kubeconfig"]), "--context", cluster]
        else:
            args += ["--issuer", self.issuer(cluster), "--issuer-ca", self.ca]
        yield from self._run([*args, *extra], port, f"{name}-{port}.log", self.broker_env(), "/healthz")

    @contextlib.contextmanager
    def start_agent(self, cluster: str, broker_url: str, *, bind: str = "127.0.0.1",
                    port: int | None = None, extra: Sequence[str] = (),
                    netns: str | None = None) -> Iterator[Process]:
        """``podid agent`` for ``cluster`` with the broker as its EKS Auth endpoint."""
        node = node_credentials(self.server, f"node-{free_port()}")
        env = clean_env()
        env.update(AWS_ACCESS_KEY_ID=node[0], AWS_SECRET_ACCESS_KEY=node[1], AWS_REGION=self.server.region,
                   AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        port = port or free_port()
        args = [str(PODID), "agent", "--cluster-name", cluster, "--endpoint", broker_url, "-b", bind,
                "--port", str(port), "--probe-port", "0", "--metrics-port", "0", *extra]
        if netns:
            args = ["ip", "netns", "exec", netns, *args]
        host = f"[{bind}]" if ":" in bind else bind
        yield from self._run(args, port, f"agent-{port}.log", env, None, url=f"http://{host}:{port}",
                             ready=not netns)

    @contextlib.contextmanager
    def start_node_agent(self, cluster: str) -> Iterator[tuple[NodeAndPod, Process, Process]]:
        """A node as on a real cluster: ``podid agent --link-local`` in a node namespace (its broker,
        on the host's loopback, bridged in), reachable from the pod namespace at 169.254.170.23."""
        with node_and_pod() as net, self.start_broker(cluster) as broker:
            broker_in_node = free_port()
            net.bridge(net.node, broker_in_node, broker.port)
            with self.start_agent(cluster, f"http://127.0.0.1:{broker_in_node}", netns=net.node,
                                  extra=["--link-local"]) as agent:
                _wait_from_pod(net, f"http://{AGENT_V4}/v1/credentials", agent)
                yield net, broker, agent

    def _run(self, args: list[str], port: int, log_name: str, env: dict[str, str], probe: str | None,
             *, url: str | None = None, ready: bool = True) -> Iterator[Process]:
        log_path = self.tmp / log_name
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
        handle = Process(url or f"http://127.0.0.1:{port}", port, proc, log_path)
        try:
            if ready:
                wait_http(handle.url + (probe or "/v1/credentials"), proc, log_path)
            yield handle
        finally:
            handle.stop()

    def pod_env(self, agent_url: str, token_file: Path) -> dict[str, str]:
        """Only the Pod Identity variables (plus region and podid as the AWS endpoint)."""
        env = clean_env()
        env.update(AWS_CONTAINER_CREDENTIALS_FULL_URI=agent_url + "/v1/credentials",
                   AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(token_file), AWS_ENDPOINT_URL=self.server.url,
                   AWS_REGION=self.server.region, AWS_DEFAULT_REGION=self.server.region,
                   AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        return env

    def aws_as_pod(self, agent_url: str, token_file: Path, *args: str,
                   prefix: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*prefix, str(BIN / "aws"), *args], env=self.pod_env(agent_url, token_file),
                              capture_output=True, text=True, timeout=60, check=False)

    def boto3_as_pod(self, agent_url: str, token_file: Path,
                     prefix: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
        """A python subprocess: ``boto3.client("sts").get_caller_identity()["Arn"]`` on stdout."""
        code = "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"
        return subprocess.run([*prefix, str(BIN / "python"), "-c", code],
                              env=self.pod_env(agent_url, token_file), capture_output=True, text=True,
                              timeout=60, check=False)


def _wait_from_pod(net: NodeAndPod, url: str, agent: Process) -> None:
    """Poll ``url`` from the pod namespace until the agent answers (bounded)."""
    code = f"import urllib.request as u\ntry: u.urlopen({url!r}, timeout=1)\nexcept Exception as e: print(e)"
    for _ in range(60):
        if agent.process.poll() is not None:
            raise RuntimeError(agent.log())
        out = subprocess.run([*net.in_pod(), str(BIN / "python"), "-c", code], capture_output=True,
                             text=True, timeout=10, check=False)
        if "Connection refused" not in out.stdout and "timed out" not in out.stdout:
            return
        time.sleep(0.25)
    raise RuntimeError(f"agent at {url} not reachable from the pod namespace:\n{agent.log()}")


def write_token(path: Path, token: str) -> Path:
    path.write_text(token)   # no trailing newline (botocore sends the file as a header value)
    return path
