"""STUB EKS AUTH end to end — uses `stub_eksauth.StubEksAuth`, ONLY until podid's EKS Auth exists.

Chain under test: botocore's container credential provider (a subprocess, the real SDK client)
-> the agent on 127.0.0.1 -> the agent's real boto3 `eks-auth` client (SigV4, fake node keys)
-> the stub. The lead replaces the stub with podid's EKS Auth; nothing else should change.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from agent_helpers import FakeClock, make_token
from stub_eksauth import StubEksAuth

from podid.agent import AgentConfig, AgentThread, EksAuthUpstream, HttpHeartbeat
from podid.agent.errors import UpstreamError

pytestmark = pytest.mark.usefixtures("node_env")

BOTOCORE_CLIENT = """
import json, botocore.session
creds = botocore.session.Session().get_credentials()
frozen = creds.get_frozen_credentials()
account = getattr(frozen, "account_id", None)
print(json.dumps({"method": creds.method, "akid": frozen.access_key, "account": account}))
"""


def _config(**kw: Any) -> AgentConfig:
    base: dict[str, Any] = {
        "cluster_name": "c1",
        "port": 0,
        "bind_hosts": ("127.0.0.1",),
        "probe_port": None,
        "metrics_port": None,
    }
    base.update(kw)
    return AgentConfig(**base)


def _resolve_with_botocore(url: str, token_file: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONTAINER_CREDENTIALS_FULL_URI=url,
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(token_file),
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_EC2_METADATA_DISABLED="true",
    )
    out = subprocess.run(
        [sys.executable, "-c", BOTOCORE_CLIENT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return dict(json.loads(out.stdout))


def test_stub_eksauth_botocore_container_provider_gets_credentials(
    stub_eks_auth: StubEksAuth, tmp_path: Path
) -> None:
    upstream = EksAuthUpstream(endpoint_url=stub_eks_auth.url)
    token_file = tmp_path / "eks-pod-identity-token"
    token_file.write_text(make_token("web"))  # no trailing newline (wire-facts §1)
    with AgentThread(_config(), upstream) as agent:
        got = _resolve_with_botocore(agent.urls[0], token_file)
        assert got["method"] == "container-role"
        assert got["akid"].startswith("ASIA")
        assert got["account"] == "111122223333"
        again = _resolve_with_botocore(agent.urls[0], token_file)
        assert again["akid"] == got["akid"]  # cached per token
    assert stub_eks_auth.calls == 1
    assert stub_eks_auth.unsigned == 0  # SigV4 eks-auth as the node role


def test_stub_eksauth_env_endpoint_is_honoured(
    stub_eks_auth: StubEksAuth, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_EKS_AUTH", stub_eks_auth.url)
    upstream = EksAuthUpstream()
    assert upstream.endpoint_url == stub_eks_auth.url
    creds = upstream("c1", make_token("web"))
    assert creds.account_id == "111122223333" and creds.association_id == "a-abcdefghijklmnopq"


def test_default_endpoint_is_aws() -> None:
    assert EksAuthUpstream(region="eu-west-1").endpoint_url == "https://eks-auth.eu-west-1.api.aws"


@pytest.mark.parametrize(
    ("pod", "status", "code", "fault"),
    [
        ("deny-1", 400, "AccessDeniedException", "client"),
        ("missing-1", 404, "ResourceNotFoundException", "client"),
        ("boom-1", 500, "InternalServerException", "server"),
    ],
)
def test_stub_eksauth_errors_through_boto3(
    stub_eks_auth: StubEksAuth, pod: str, status: int, code: str, fault: str
) -> None:
    upstream = EksAuthUpstream(endpoint_url=stub_eks_auth.url, max_attempts=1)
    with pytest.raises(UpstreamError) as info:
        upstream("c1", make_token(pod))
    err = info.value
    assert (err.status, err.code, err.fault) == (status, code, fault)
    assert err.request_id and str(err) == f"[{err.request_id}]: ({code}): {err.message}, fault: {fault}"
    with AgentThread(_config(), upstream) as agent:
        response = httpx.get(agent.urls[0], headers={"Authorization": make_token(pod)})
        assert response.status_code == status
        assert response.text.startswith("[") and f"({code})" in response.text


def test_stub_eksauth_down_serves_cached_until_expiry_then_clear_error(stub_eks_auth: StubEksAuth) -> None:
    clock = FakeClock(start=time.time())
    upstream = EksAuthUpstream(endpoint_url=stub_eks_auth.url, max_attempts=1, connect_timeout=0.5)
    token = make_token("web", now=clock.now - 5)
    with AgentThread(_config(renewal_ttl=3600.0), upstream, clock=clock) as agent:
        response = httpx.get(agent.urls[0], headers={"Authorization": token})
        assert response.status_code == 200, response.text
        first = response.json()
        stub_eks_auth.stop()  # EKS Auth goes away
        clock.advance(3600)  # renewal due: it fails, cached creds still served
        for _ in range(3):
            response = httpx.get(agent.urls[0], headers={"Authorization": token}, timeout=10)
            assert response.status_code == 200 and response.json()["AccessKeyId"] == first["AccessKeyId"]
        clock.advance(6 * 3600)  # past expiry: a clear error
        response = httpx.get(agent.urls[0], headers={"Authorization": token}, timeout=10)
        assert response.status_code == 500
        assert "unable to fetch credentials from EKS Auth" in response.text


def test_http_heartbeat_is_sigv4_signed(stub_eks_auth: StubEksAuth) -> None:
    import boto3

    received: list[dict[str, Any]] = []

    def capture(request: httpx.Request) -> httpx.Response:
        received.append({"headers": dict(request.headers), "body": json.loads(request.content)})
        return httpx.Response(204)

    beat = HttpHeartbeat("http://127.0.0.1:9/podid/heartbeat", region="us-east-1", sign_with=boto3.Session())
    from podid.agent.health import HealthTracker

    status = HealthTracker(cluster_name="c1", listening=("127.0.0.1:2703",)).status()
    transport = httpx.MockTransport(capture)
    original = httpx.post
    try:
        httpx.post = lambda url, **kw: httpx.Client(transport=transport).post(url, **kw)  # type: ignore[assignment]
        beat(status)
    finally:
        httpx.post = original  # type: ignore[assignment]
    assert received[0]["body"]["status"] == "HEALTHY"
    assert "/us-east-1/eks/aws4_request" in received[0]["headers"]["authorization"]
