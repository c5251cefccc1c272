"""The agent under uvicorn on loopback (free ports), real HTTP with httpx; injected upstream."""

from __future__ import annotations

import errno
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from agent_helpers import FakeUpstream, has_ipv6_loopback, make_token

import podid.agent.server as agent_server
from podid.agent import AgentConfig, AgentStatus, AgentThread
from podid.agent.errors import UpstreamError, UpstreamUnavailableError
from podid.agent.server import Agent


def _config(**kw: Any) -> AgentConfig:
    hosts = ("127.0.0.1", "::1") if has_ipv6_loopback() else ("127.0.0.1",)
    base: dict[str, Any] = {
        "cluster_name": "c1",
        "port": 0,
        "bind_hosts": hosts,
        "probe_port": 0,
        "metrics_port": 0,
    }
    base.update(kw)
    return AgentConfig(**base)


@pytest.fixture
def upstream() -> FakeUpstream:
    return FakeUpstream()


@pytest.fixture
def agent(upstream: FakeUpstream) -> Iterator[Agent]:
    runner = AgentThread(_config(), upstream)
    yield runner.start()
    runner.stop()


def _url(agent: Agent, index: int = 0, path: str = "/v1/credentials") -> str:
    host, port = agent.credential_addresses[index]
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}{path}"


def test_serves_container_credentials_json(agent: Agent, upstream: FakeUpstream) -> None:
    token = make_token()
    response = httpx.get(_url(agent), headers={"Authorization": token})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    doc = response.json()
    assert set(doc) == {"AccessKeyId", "SecretAccessKey", "Token", "AccountId", "Expiration"}
    assert doc["AccountId"] == "123456789012" and doc["Expiration"].endswith("Z")
    assert upstream.calls == [token]


def test_any_method_and_both_loopbacks(agent: Agent, upstream: FakeUpstream) -> None:
    token = make_token()
    for index in range(len(agent.credential_addresses)):
        for method in ("GET", "POST", "PUT"):
            assert (
                httpx.request(method, _url(agent, index), headers={"Authorization": token}).status_code == 200
            )
    assert len(upstream.calls) == 1  # one cache shared by every listener


@pytest.mark.skipif(not has_ipv6_loopback(), reason="no IPv6 loopback")
def test_ipv6_listener_serves(agent: Agent) -> None:
    assert [h for h, _ in agent.credential_addresses] == ["127.0.0.1", "::1"]
    assert httpx.get(_url(agent, 1), headers={"Authorization": make_token()}).status_code == 200


def test_other_paths_are_404(agent: Agent) -> None:
    response = httpx.get(_url(agent, path="/"))
    assert response.status_code == 404 and response.text == "404 page not found\n"


def test_host_check_403(agent: Agent) -> None:
    port = agent.credential_addresses[0][1]
    response = httpx.get(
        f"http://127.0.0.1:{port}/v1/credentials", headers={"Host": f"localhost:{port}", "Authorization": "x"}
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    hosts = " ".join(h for h, _ in agent.credential_addresses)
    assert response.text == (
        "Access Denied. Called agent through invalid address, "
        f"please use either [{hosts}] address not localhost\n"
    )


@pytest.mark.parametrize(
    ("token", "start"),
    [
        ("", "Service account token cannot be empty"),
        ("not-a-jwt", "Service account token cannot be parsed: token is malformed"),
        (make_token(exp_in=-10), "Service account token failed basic claim validations: token is expired"),
    ],
)
def test_token_errors_400(agent: Agent, upstream: FakeUpstream, token: str, start: str) -> None:
    response = httpx.get(_url(agent), headers={"Authorization": token} if token else {})
    assert response.status_code == 400
    assert response.text.startswith(start)
    assert upstream.calls == []


def test_upstream_errors_map_status_and_body(agent: Agent, upstream: FakeUpstream) -> None:
    upstream.error = UpstreamError("AccessDeniedException", "not allowed", 400, "rid-1", "client")
    response = httpx.get(_url(agent), headers={"Authorization": make_token()})
    assert (response.status_code, response.text) == (
        400,
        "[rid-1]: (AccessDeniedException): not allowed, fault: client\n",
    )
    upstream.error = UpstreamUnavailableError("Could not connect to the endpoint URL")
    response = httpx.get(_url(agent), headers={"Authorization": make_token("other")})
    assert response.status_code == 500
    assert "unable to fetch credentials from EKS Auth: Could not connect" in response.text


def test_rate_limit_429(upstream: FakeUpstream) -> None:
    with AgentThread(_config(request_rate=0.001, request_burst=2), upstream) as agent:
        token = make_token()
        statuses = [httpx.get(_url(agent), headers={"Authorization": token}).status_code for _ in range(4)]
        assert statuses == [200, 200, 429, 429]
        response = httpx.get(_url(agent), headers={"Authorization": make_token()})
        assert response.text == "Too Many Requests\n"


def test_probes_status_and_metrics(agent: Agent) -> None:
    assert agent.probe_address and agent.metrics_address
    probe = f"http://127.0.0.1:{agent.probe_address[1]}"
    metrics = f"http://127.0.0.1:{agent.metrics_address[1]}"
    assert httpx.get(probe + "/healthz").status_code == 200
    assert httpx.get(probe + "/readyz").status_code == 200
    assert httpx.get(metrics + "/healthz").status_code == 200
    token = make_token()  # one token: two minted across a second boundary would differ
    httpx.get(_url(agent), headers={"Authorization": token})
    httpx.get(_url(agent), headers={"Authorization": token})
    status = httpx.get(probe + "/status").json()
    assert status["status"] == "HEALTHY" and status["clusterName"] == "c1" and status["cacheEntries"] >= 1
    text = httpx.get(metrics + "/metrics").text
    assert 'pod_identity_http_response{code="200"} 2' in text
    assert "# TYPE pod_identity_cache_state counter" in text
    assert "podid_agent_cache_entries 1" in text
    assert 'podid_agent_upstream_calls_total{outcome="ok"} 1' in text


def test_link_local_skipped_with_warning_when_not_bindable(
    monkeypatch: pytest.MonkeyPatch, upstream: FakeUpstream, caplog: pytest.LogCaptureFixture
) -> None:
    """Never binds link-local in tests: the link-local hosts are replaced by a documentation
    address and bind_socket refuses anything that is not loopback."""
    real_bind = agent_server.bind_socket

    def loopback_only(host: str, port: int) -> Any:
        if host.strip("[]") not in ("127.0.0.1", "::1"):
            raise OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address")
        return real_bind(host, port)

    monkeypatch.setattr(agent_server, "bind_socket", loopback_only)
    monkeypatch.setattr(agent_server, "LINK_LOCAL_HOSTS", ("192.0.2.23", "2001:db8::23"))
    with AgentThread(_config(link_local=True), upstream) as agent:
        assert all(h in ("127.0.0.1", "::1") for h, _ in agent.credential_addresses)
        status = agent.health.status()
        assert status.status == "DEGRADED"
        assert "192.0.2.23:80" in status.reasons[0] and "[2001:db8::23]:80" in status.reasons[0]
        # the 403 lists only what is actually served
        response = httpx.get(_url(agent), headers={"Host": "192.0.2.23", "Authorization": "x"})
        assert "please use either [127.0.0.1" in response.text and "192.0.2.23]" not in response.text
    assert any("link-local address not bindable" in r.message for r in caplog.records)


def test_heartbeat_callable_gets_healthy_then_stopped(upstream: FakeUpstream) -> None:
    beats: list[AgentStatus] = []
    runner = AgentThread(_config(heartbeat_interval=0.05), upstream, heartbeat=beats.append)
    runner.start()
    deadline = time.monotonic() + 5
    while len(beats) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    runner.stop()
    assert beats[0].status == "HEALTHY" and beats[-1].status == "STOPPED"
    doc = beats[0].to_json()
    assert doc["clusterName"] == "c1" and isinstance(doc["listening"], list)
    json.dumps(doc)


def test_heartbeat_degraded_after_repeated_upstream_failures(upstream: FakeUpstream) -> None:
    upstream.error = UpstreamUnavailableError("down")
    with AgentThread(_config(), upstream) as agent:
        for i in range(3):
            httpx.get(_url(agent), headers={"Authorization": make_token(f"p{i}")})
        status = agent.health.status()
        assert status.status == "DEGRADED" and "EKS Auth failed 3 times" in status.reasons[0]
        upstream.error = None
        httpx.get(_url(agent), headers={"Authorization": make_token("ok")})
        assert agent.health.status().status == "HEALTHY"


def test_client_faults_do_not_degrade(upstream: FakeUpstream) -> None:
    upstream.error = UpstreamError("AccessDeniedException", "no", 400, "r", "client")
    with AgentThread(_config(), upstream) as agent:
        for i in range(5):
            httpx.get(_url(agent), headers={"Authorization": make_token(f"p{i}")})
        assert agent.health.status().status == "HEALTHY"
