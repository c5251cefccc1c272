"""A node as the chart builds it, for real: the DaemonSet's init script makes the link in a node
network namespace, the agent runs with the DaemonSet's own arguments and environment (broker URL
`https://podid-broker.podid.svc:443` resolved through the namespace's /etc/hosts to a bridge, the
broker's certificate from the chart's generated Secret, the placeholder signing key), is Ready by the
chart's readiness probe, and a pod namespace gets its role through 169.254.170.23 with the aws CLI.

Chain: pod netns aws CLI -> agent (node netns, chart args) -> broker (the chart's Deployment
command line with its volumes materialized: TLS Secret, JWKS and CA ConfigMaps; tokens checked with
the issuer's JWKS here, TokenReview is the chart's default) -> STS/EKS of ``podid up`` over https.
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.broker import BrokerWorld, Process, write_token
from support.eks import start_eks_server
from support.helm import Rendered, container, render
from support.netns import AGENT_V4, NodeAndPod, netns_unavailable, node_and_pod
from support.server import PODID, clean_env, free_port

REASON = netns_unavailable()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")
CLUSTER = "chart-node"
BROKER_HOST = "podid-broker.podid.svc"
S3_LIST = {"Version": "2012-10-17",
           "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerWorld]:
    tmp = tmp_path_factory.mktemp("chart-node")
    with start_eks_server(tmp / "aws", extra_args=["--tls-port", str(free_port())]) as server:
        yield BrokerWorld.create(server, tmp)


def tls_files(chart: Rendered, tmp: Path) -> dict[str, Path]:
    secret = chart.get("Secret", "podid-broker-tls")["data"]
    out = {}
    for key in ("ca.crt", "tls.crt", "tls.key"):
        out[key] = tmp / key
        out[key].write_bytes(base64.b64decode(secret[key]))
    out["tls.key"].chmod(0o600)
    return out


def wait_tls(port: int, ca: Path, proc: Process, timeout: float = 30) -> None:
    """Until 127.0.0.1:port completes a handshake verified as BROKER_HOST against ``ca`` (bounded)."""
    ctx = ssl.create_default_context(cafile=str(ca))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.process.poll() is not None:
            raise RuntimeError(proc.log())
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock, \
                    ctx.wrap_socket(sock, server_hostname=BROKER_HOST):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"broker did not serve TLS in {timeout} s:\n{proc.log()}")


def materialize(chart: Rendered, dep: dict[str, Any], root: Path,
                configmaps: dict[str, dict[str, str]]) -> None:
    """Write a pod's Secret and ConfigMap volumes where its mounts say, under ``root`` (as kubelet
    would): Secrets from the render, ConfigMaps from ``configmaps``."""
    spec = dep["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    for mount in spec["containers"][0]["volumeMounts"]:
        volume = volumes[mount["name"]]
        target = root / mount["mountPath"].lstrip("/")
        target.mkdir(parents=True, exist_ok=True)
        if "secret" in volume:
            data = {k: base64.b64decode(v) for k, v in
                    chart.get("Secret", volume["secret"]["secretName"])["data"].items()}
        elif "configMap" in volume:
            data = {k: v.encode() for k, v in configmaps[volume["configMap"]["name"]].items()}
        else:
            continue                                   # emptyDir
        items = volume.get("secret", volume.get("configMap", {})).get("items")
        for key, path in ((i["key"], i["path"]) for i in items) if items else ((k, k) for k in data):
            (target / path).write_bytes(data[key])
            (target / path).chmod(0o600)


@contextlib.contextmanager
def chart_broker(world: BrokerWorld, chart: Rendered, root: Path, ca: Path) -> Iterator[Process]:
    """The broker Deployment's own command line and environment, volumes materialized under ``root``;
    only the listen address is loopback and the port a free one (tests bind nothing else)."""
    dep = chart.get("Deployment", "podid-broker")
    broker = container(dep, "broker")
    issuer = world.issuer(CLUSTER)
    jwks_uri = httpx.get(issuer + "/.well-known/openid-configuration", verify=world.ca).json()["jwks_uri"]
    jwks = httpx.get(jwks_uri, verify=world.ca).text
    materialize(chart, dep, root, {"cluster-jwks": {"jwks.json": jwks},
                                   "aws-ca": {"ca.crt": Path(world.ca).read_text()}})
    port = free_port()
    args = []
    for arg in broker["args"]:
        flag, _, value = arg.partition("=")
        if flag == "--host":
            value = "127.0.0.1"
        elif flag == "--port":
            value = str(port)
        elif value.startswith("/etc/"):
            value = str(root / value.lstrip("/"))
        args.append(f"{flag}={value}" if value or "=" in arg else flag)
    env = world.broker_env()
    env.update({e["name"]: e["value"] for e in broker["env"]})
    log_path = world.tmp / f"chart-broker-{port}.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([str(PODID), broker["command"][1], *args], stdout=log,
                                stderr=subprocess.STDOUT, env=env)
    handle = Process(f"https://127.0.0.1:{port}", port, proc, log_path)
    try:
        wait_tls(port, ca, handle)
        probe = broker["readinessProbe"]["httpGet"]
        assert (probe["scheme"], probe["path"]) == ("HTTPS", "/readyz")
        ready = httpx.get(f"https://127.0.0.1:{port}/readyz", verify=ssl_context_for(ca))
        assert ready.status_code == 200, ready.text
        yield handle
    finally:
        handle.stop()


def ssl_context_for(ca: Path) -> ssl.SSLContext:
    """Verify against ``ca``; the name checked is the Service's (the test dials 127.0.0.1)."""
    ctx = ssl.create_default_context(cafile=str(ca))
    ctx.check_hostname = False            # the chain is still verified; the SAN check is in wait_tls
    return ctx


def chart_node(chart: Rendered) -> tuple[list[str], dict[str, Any]]:
    ds = chart.get("DaemonSet", "podid-agent")
    return list(container(ds, "link-local", init=True)["command"]), container(ds, "agent")


@contextlib.contextmanager
def node_with_chart_init(init: list[str]) -> Iterator[NodeAndPod]:
    made: list[Path] = []

    def setup(node: str) -> None:
        etc = Path("/etc/netns") / node           # `ip netns exec` bind-mounts these over /etc
        etc.mkdir(parents=True)
        made.append(etc)
        (etc / "hosts").write_text(f"127.0.0.1 localhost\n127.0.0.1 {BROKER_HOST}\n")
        done = subprocess.run(["ip", "netns", "exec", node, *init], capture_output=True, text=True,
                              timeout=30, check=False)
        assert done.returncode == 0, done.stderr

    try:
        with node_and_pod(link_setup=setup) as net:
            yield net
    finally:
        for etc in made:
            shutil.rmtree(etc, ignore_errors=True)


def in_netns_get(net: NodeAndPod, netns: str, url: str) -> tuple[int, str]:
    code = ("import urllib.request as u, urllib.error as e, sys\n"
            f"try: r = u.urlopen({url!r}, timeout=3); print(r.status); print(r.read().decode())\n"
            "except e.HTTPError as x: print(x.code); print(x.read().decode())\n"
            "except OSError as x: print(0); print(x)")
    out = subprocess.run(["ip", "netns", "exec", netns, str(PODID.parent / "python"), "-c", code],
                         capture_output=True, text=True, timeout=30, check=False)
    status, _, body = out.stdout.partition("\n")
    return int(status or 0), body


def test_chart_node_serves_the_role_through_the_link_local_agent(world: BrokerWorld, tmp_path: Path) -> None:
    world.cluster(CLUSTER)
    chart = render(f"clusterName={CLUSTER}", f"region={world.server.region}",
                   "tokenValidation.mode=issuer", f"tokenValidation.issuer={world.issuer(CLUSTER)}",
                   "tokenValidation.jwksConfigMap=cluster-jwks", f"broker.stsEndpoint={world.tls_url}",
                   f"broker.eksEndpoint={world.tls_url}", "broker.caBundleConfigMap=aws-ca")
    tls = tls_files(chart, tmp_path)
    init, agent = chart_node(chart)
    role_arn = world.role("chart-node-reader", policy=S3_LIST)
    pod = world.pod(CLUSTER, "web-1", namespace="shop", sa="reader")
    world.associate(CLUSTER, "shop", "reader", role_arn)
    token_file = write_token(tmp_path / "token", pod.token)

    env = clean_env()
    env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    for item in agent["env"]:                     # the DaemonSet's environment, CA path made local
        env[item["name"]] = str(tls["ca.crt"]) if item["name"] == "AWS_CA_BUNDLE" else item["value"]
    assert env["AWS_ACCESS_KEY_ID"] == "podid-agent-unsigned"
    # the chart's arguments; only the metrics listener stays on loopback (tests bind nothing else)
    args = [a if not a.startswith("--metrics-address=") else "--metrics-address=127.0.0.1"
            for a in agent["args"]]
    assert f"--endpoint=https://{BROKER_HOST}:443" in args
    probe = agent["readinessProbe"]["httpGet"]
    probe_url = f"http://{probe['host']}:{args_value(args, '--probe-port')}{probe['path']}"

    with chart_broker(world, chart, tmp_path / "broker-pod", tls["ca.crt"]) as broker, \
            node_with_chart_init(init) as net:
        net.bridge(net.node, 443, broker.port)
        log_path = tmp_path / "agent.log"
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(["ip", "netns", "exec", net.node, str(PODID), agent["command"][1], *args],
                                    stdout=log, stderr=subprocess.STDOUT, env=env)
        handle = Process(f"http://{AGENT_V4}", 80, proc, log_path)
        try:
            status, body = 0, ""
            for _ in range(100):                  # bounded: ~30 s, the chart's readiness probe
                status, body = in_netns_get(net, net.node, probe_url)
                if status == 200 or proc.poll() is not None:
                    break
                time.sleep(0.3)
            assert status == 200, f"{status} {body}\n{handle.log()}"
            aws_in_pod = free_port()
            net.bridge(net.pod, aws_in_pod, world.server.port)
            cli = world.aws_as_pod(f"http://{AGENT_V4}", token_file, "sts", "get-caller-identity",
                                   "--output", "json", "--endpoint-url", f"http://127.0.0.1:{aws_in_pod}",
                                   prefix=net.in_pod())
            assert cli.returncode == 0, cli.stderr + handle.log() + broker.log()
            arn = json.loads(cli.stdout)["Arn"]
            assert arn.startswith(f"arn:aws:sts::{world.server.account_id}:assumed-role/chart-node-reader/"
                                  f"eks-{CLUSTER}-web-1-")
            metrics_port = args_value(args, "--metrics-port")
            assert metrics_port == chart.get("DaemonSet", "podid-agent")["spec"]["template"]["metadata"][
                "annotations"]["prometheus.io/port"]
            status, metrics = in_netns_get(net, net.node, f"http://127.0.0.1:{metrics_port}/metrics")
            assert status == 200 and "podid_agent" in metrics, metrics[:500]
        finally:
            handle.stop()


def args_value(args: list[str], flag: str) -> str:
    return next(a.partition("=")[2] for a in args if a.startswith(flag + "="))
