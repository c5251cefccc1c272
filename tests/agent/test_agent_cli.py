"""`podid agent` as a process: flags, heartbeat, serving, SIGTERM, against a real `podid up`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from agent_helpers import PodWorld, write_token

from podid.cli.agent import parse_duration
from support.server import free_port

PODID = Path(sys.executable).parent / "podid"


@pytest.mark.parametrize(
    ("text", "seconds"), [("3h", 10800), ("90m", 5400), ("1h30m", 5400), ("15s", 15), ("0", 0)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def _wait_ok(url: str, proc: subprocess.Popen[str], attempts: int = 100) -> bool:
    """Poll ``url`` (bounded) until it answers 200 or the process exits."""
    for _ in range(attempts):
        if proc.poll() is not None:
            return False
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


def test_podid_agent_process_heartbeats_serves_the_sdk_and_stops(pod_world: PodWorld, tmp_path: Path) -> None:
    """`podid agent --endpoint <podid>` as a node runs it: node user's keys in the environment;
    its signed heartbeat makes the add-on ACTIVE, then the aws CLI in a pod gets the pod's role."""
    cluster = pod_world.cluster("agent-cli", addon=True)
    pod = pod_world.pod(cluster, "api-5c8d")
    token_file = write_token(tmp_path / "token", pod.token)
    port, probe, metrics = free_port(), free_port(), free_port()
    proc = subprocess.Popen(
        [
            str(PODID),
            "agent",
            "-c",
            cluster,
            "-p",
            str(port),
            "-b",
            "127.0.0.1",
            "--probe-port",
            str(probe),
            "--metrics-port",
            str(metrics),
            "--endpoint",
            pod_world.server.url,
            "--heartbeat-url",
            pod_world.heartbeat_url(cluster),
        ],
        env=pod_world.node_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # the add-on turns ACTIVE on heartbeats (this agent's or podid up's own node agent)
        addon = pod_world.wait_addon_status(cluster, "ACTIVE", timeout=20)
        assert addon["status"] == "ACTIVE", addon
        assert _wait_ok(f"http://127.0.0.1:{probe}/healthz", proc), "agent probe never answered"
        out = pod_world.aws_as_pod(
            f"http://127.0.0.1:{port}/v1/credentials",
            token_file,
            "sts",
            "get-caller-identity",
            "--query",
            "Arn",
            "--output",
            "text",
        )
        assert out.returncode == 0, out.stderr
        arn = out.stdout.strip()
        expected = (
            f"arn:aws:sts::{pod_world.account_id}:assumed-role/{pod.role_name}/eks-{cluster}-{pod.name}-"
        )
        assert arn.startswith(expected), arn
        scraped = httpx.get(f"http://127.0.0.1:{metrics}/metrics").text
        assert 'podid_agent_upstream_calls_total{outcome="ok"} 1' in scraped
        assert 'pod_identity_http_response{code="200"} 1' in scraped
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert f"EKS Auth {pod_world.server.url}" in err


def test_unloadable_node_configuration_is_a_usage_error(tmp_path: Path) -> None:
    """`podid agent` reads the node's AWS configuration on purpose; a profile that no file defines
    (a stale `source .podid/env`) is reported in one line with exit 2, not a botocore traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_PROFILE="gone",
        AWS_CONFIG_FILE=str(tmp_path / "missing-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "missing-credentials"),
    )
    proc = subprocess.run(
        [str(PODID), "agent", "-c", "lab", "--region", "us-east-1", "-p", "0", "-b", "127.0.0.1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    expected = "cannot load the node's AWS configuration: The config profile (gone) could not be found"
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr
