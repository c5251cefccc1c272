"""`podid agent` as a process: flags, serving, SIGTERM. STUB EKS AUTH upstream (until podid's exists)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from agent_helpers import make_token
from stub_eksauth import StubEksAuth

from podid.agent.server import bind_socket
from podid.cli.agent import parse_duration

PODID = Path(sys.executable).parent / "podid"


@pytest.mark.parametrize(
    ("text", "seconds"), [("3h", 10800), ("90m", 5400), ("1h30m", 5400), ("15s", 15), ("0", 0)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def _free_port() -> int:
    sock = bind_socket("127.0.0.1", 0)
    port = int(sock.getsockname()[1])
    sock.close()
    return port


def test_podid_agent_process_serves_and_stops(stub_eks_auth: StubEksAuth, node_env: None) -> None:
    port, probe = _free_port(), _free_port()
    env = dict(os.environ, AWS_ENDPOINT_URL_EKS_AUTH=stub_eks_auth.url)
    proc = subprocess.Popen(
        [
            str(PODID),
            "agent",
            "-c",
            "c1",
            "-p",
            str(port),
            "-b",
            "127.0.0.1",
            "--probe-port",
            str(probe),
            "--metrics-port",
            "0",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        response = None
        while time.monotonic() < deadline:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/v1/credentials", headers={"Authorization": make_token("web")}
                )
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert response is not None and response.status_code == 200, response and response.text
        assert response.json()["AccountId"] == "111122223333"
        assert httpx.get(f"http://127.0.0.1:{probe}/healthz").status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert stub_eks_auth.url in err
