"""The agent end to end against podid's real EKS Auth (a `podid up`), nothing mocked.

Chain under test: botocore's container credential provider (the `aws` CLI in a subprocess, the
pod's token in AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) -> the agent on 127.0.0.1 -> the agent's
boto3 `eks-auth` client, SigV4-signed as a node IAM user allowed only
`eks-auth:AssumeRoleForPodIdentity` -> podid's AssumeRoleForPodIdentity (token signature, pod and
ServiceAccount existence, association, role trust) -> credentials the SDK then uses against podid.
Heartbeats go to podid's `/_podid/eks/clusters/{name}/agent-heartbeat` and drive the add-on status.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from agent_helpers import FakeClock, PodWorld, agent_config, write_token
from botocore.exceptions import ClientError

from podid.agent import AgentThread, EksAuthUpstream, HttpHeartbeat
from podid.agent.errors import UpstreamError
from podid.agent.health import HealthTracker
from podid.agent.upstream import error_from_client_error
from support.server import PodidServer

#: the agent's relay of an EKS Auth error (`[<reqId>]: (<Code>): <msg>, fault: <fault>` + "\n")
RELAYED = re.compile(r"^\[(?P<rid>[0-9a-f-]{36})\]: \((?P<code>\w+)\): (?P<msg>.+), fault: (?P<fault>\w+)\n$")


def _assumed_role_arn(world: PodWorld, role: str | None, cluster: str, pod: str) -> re.Pattern[str]:
    return re.compile(
        rf"^arn:aws:sts::{world.account_id}:assumed-role/{role}/eks-{re.escape(cluster)}-{re.escape(pod)}-[\w-]+$"
    )


def test_sdk_gets_pod_role_through_agent_and_second_fetch_is_cached(
    pod_world: PodWorld, tmp_path: Path
) -> None:
    cluster = pod_world.cluster("agent-e2e")
    pod = pod_world.pod(cluster, "web-7d9f")
    token_file = write_token(tmp_path / "eks-pod-identity-token", pod.token)
    with AgentThread(agent_config(cluster), pod_world.upstream()) as agent:
        first = pod_world.aws_as_pod(
            agent.urls[0], token_file, "sts", "get-caller-identity", "--query", "Arn", "--output", "text"
        )
        assert first.returncode == 0, first.stderr
        arn = first.stdout.strip()
        assert _assumed_role_arn(pod_world, pod.role_name, cluster, pod.name).match(arn), arn
        again = pod_world.aws_as_pod(
            agent.urls[0], token_file, "sts", "get-caller-identity", "--query", "Arn", "--output", "text"
        )
        assert again.returncode == 0, again.stderr
        assert again.stdout.strip() == arn  # the very same role session: served from the cache
        metrics = agent.metrics
        assert metrics.upstream_calls.value("ok") == 1 and metrics.upstream_calls.value("error") == 0
        assert metrics.cache_state.value("miss") == 1 and metrics.cache_state.value("hit") == 1
        assert metrics.http_response.value("200") == 2
        assert len(agent.cache) == 1 and pod.token in agent.cache
        # the credentials document the SDK parsed
        doc = httpx.get(agent.urls[0], headers={"Authorization": pod.token}).json()
        assert doc["AccountId"] == pod_world.account_id and doc["AccessKeyId"].startswith("ASIA")
        assert metrics.upstream_calls.value("ok") == 1


def test_env_endpoint_and_association_reach_the_agent(
    pod_world: PodWorld, node_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --endpoint the upstream honours AWS_ENDPOINT_URL_EKS_AUTH (and the node's env keys)."""
    cluster = pod_world.cluster("agent-env")
    pod = pod_world.pod(cluster, "env-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_EKS_AUTH", pod_world.server.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", pod_world.node[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", pod_world.node[1])
    upstream = EksAuthUpstream(max_attempts=1)
    assert upstream.endpoint_url == pod_world.server.url
    creds = upstream(cluster, pod.token)
    assert creds.account_id == pod_world.account_id
    assert creds.association_id == pod.association_id
    assert creds.role_arn.startswith(f"arn:aws:sts::{pod_world.account_id}:assumed-role/{pod.role_name}/")
    assert creds.remaining(time.time()) > 5 * 3600


def test_default_endpoint_is_aws(node_env: None) -> None:
    assert EksAuthUpstream(region="eu-west-1").endpoint_url == "https://eks-auth.eu-west-1.api.aws"


def test_deleted_pod_is_served_from_cache_until_renewal_then_eks_auth_error(pod_world: PodWorld) -> None:
    """As the real agent: a cached token keeps its credentials until renewal; the renewal's
    InvalidTokenException (irrecoverable) evicts it and the next request relays EKS Auth's error."""
    cluster = pod_world.cluster("agent-gone")
    pod = pod_world.pod(cluster, "gone-1")
    clock = FakeClock(start=time.time())
    thread = AgentThread(agent_config(cluster, renewal_ttl=3600.0), pod_world.upstream(), clock=clock)
    with thread as agent:
        ok = httpx.get(agent.urls[0], headers={"Authorization": pod.token})
        assert ok.status_code == 200, ok.text
        pod_world.delete_pod(pod)
        cached = httpx.get(agent.urls[0], headers={"Authorization": pod.token})  # not due yet
        assert cached.status_code == 200 and cached.json() == ok.json()
        clock.advance(3601)  # renewal due
        assert thread.call(agent.cache.refresh_due()) == 1
        assert pod.token not in agent.cache
        assert agent.metrics.cache_errors.value("NonRecoverable", "InvalidTokenException") == 1
        assert agent.metrics.cache_state.value("evicted") == 1
        denied = httpx.get(agent.urls[0], headers={"Authorization": pod.token})
    assert denied.status_code == 400
    assert denied.headers["content-type"] == "text/plain; charset=utf-8"
    match = RELAYED.match(denied.text)
    assert match, denied.text
    assert match["code"] == "InvalidTokenException" and match["fault"] == "client"
    assert f"pod {pod.namespace}/{pod.name}" in match["msg"] and "does not exist" in match["msg"]
    event = pod_world.audit_event(match["rid"])
    assert event["eventName"] == "AssumeRoleForPodIdentity"
    assert event["errorCode"] == "InvalidTokenException"


def test_deleted_pod_never_gets_fresh_credentials(pod_world: PodWorld) -> None:
    """docs/decisions.md "A deleted pod keeps its cached credentials until their renewal": the
    request that finds the entry due is answered from the cache (the Go agent serves it until its
    janitor renews), the renewal goes through EKS Auth, which rejects the pod's token, the entry is
    evicted, and from then on every request gets EKS Auth's rejection. No credentials are issued
    after the deletion."""
    cluster = pod_world.cluster("agent-gone-2")
    pod = pod_world.pod(cluster, "gone-2")
    clock = FakeClock(start=time.time())
    thread = AgentThread(agent_config(cluster, renewal_ttl=3600.0), pod_world.upstream(), clock=clock)
    with thread as agent:
        ok = httpx.get(agent.urls[0], headers={"Authorization": pod.token})
        assert ok.status_code == 200, ok.text
        pod_world.delete_pod(pod)
        clock.advance(3601)  # renewal due
        stale = httpx.get(agent.urls[0], headers={"Authorization": pod.token})
        assert stale.status_code == 200 and stale.json() == ok.json()  # the cached ones, not new ones
        thread.call(agent.cache.drain())  # the renewal that request started
        assert pod.token not in agent.cache
        metrics = agent.metrics
        assert metrics.cache_errors.value("NonRecoverable", "InvalidTokenException") == 1
        for _ in range(2):
            denied = httpx.get(agent.urls[0], headers={"Authorization": pod.token})
            assert denied.status_code == 400
            match = RELAYED.match(denied.text)
            assert match and match["code"] == "InvalidTokenException", denied.text
        assert metrics.upstream_calls.value("ok") == 1  # the first fetch, before the deletion
        assert metrics.upstream_calls.value("error") == 3  # the renewal and both requests
        assert len(agent.cache) == 0


def test_token_past_its_exp_is_refused_although_cached(pod_world: PodWorld) -> None:
    """The token's own exp/nbf are checked on every request before the cache (as the Go agent's
    validator does): a cached entry is never served to an expired token."""
    cluster = pod_world.cluster("agent-exp")
    pod = pod_world.pod(cluster, "exp-1", lifetime=3600)
    clock = FakeClock(start=time.time())
    with AgentThread(agent_config(cluster), pod_world.upstream(), clock=clock) as agent:
        ok = httpx.get(agent.urls[0], headers={"Authorization": pod.token})
        assert ok.status_code == 200, ok.text
        clock.advance(3600)  # exp == now: expired (no leeway)
        refused = httpx.get(agent.urls[0], headers={"Authorization": pod.token})
        assert refused.status_code == 400
        assert refused.text == "Service account token failed basic claim validations: token is expired\n"
        assert pod.token in agent.cache  # there, never served
        assert agent.metrics.upstream_calls.value("ok") == 1
        assert agent.metrics.upstream_calls.value("error") == 0


@pytest.mark.parametrize("case", ["forged", "no-association", "untrusted-role"])
def test_eks_auth_errors_are_relayed(pod_world: PodWorld, case: str) -> None:
    """EKS Auth's modeled errors reach the pod as `[<reqId>]: (<Code>): <msg>, fault: client`,
    with EKS Auth's status, and the request id is podid's own (found in its audit log)."""
    cluster = f"agent-err-{case}"
    pod_world.cluster(cluster)
    if case == "forged":
        token = pod_world.forge(pod_world.pod(cluster, "victim-1"))
        code, status = "InvalidTokenException", 400
    elif case == "no-association":
        token = pod_world.pod(cluster, "lonely-1", associate=False).token
        code, status = "ResourceNotFoundException", 404
    else:
        other = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
        token = pod_world.pod(cluster, "nope-1", trust=other).token
        code, status = "AccessDeniedException", 400
    upstream = pod_world.upstream()
    with pytest.raises(UpstreamError) as info:
        upstream(cluster, token)
    err = info.value
    assert (err.status, err.code, err.fault) == (status, code, "client")
    assert str(err) == f"[{err.request_id}]: ({code}): {err.message}, fault: client"
    with AgentThread(agent_config(cluster), upstream) as agent:
        response = httpx.get(agent.urls[0], headers={"Authorization": token})
        assert response.status_code == status
        match = RELAYED.match(response.text)
        assert match, response.text
        assert (match["code"], match["fault"]) == (code, "client")
        assert match["rid"] != err.request_id
        assert len(agent.cache) == 0
        assert agent.health.status().consecutive_upstream_failures == 0  # the pod's fault, not the agent's
    event = pod_world.audit_event(match["rid"])
    assert event["errorCode"] == code
    assert event["userIdentity"]["userName"] == "agent-node"  # signed as the node user


def test_server_faults_are_classified_from_the_model() -> None:
    """The `fault` of codes podid's EKS Auth cannot be made to answer on purpose (5xx)."""
    for code, status, fault in [
        ("InternalServerException", 500, "server"),
        ("ServiceUnavailableException", 503, "server"),
        ("ThrottlingException", 429, "client"),
        ("SomethingNew", 502, "unknown"),
    ]:
        exc = ClientError(
            {
                "Error": {"Code": code, "Message": "m"},
                "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "r-1"},
            },
            "AssumeRoleForPodIdentity",
        )
        err = error_from_client_error(exc)
        assert (err.code, err.status, err.fault) == (code, status, fault)
        assert str(err) == f"[r-1]: ({code}): m, fault: {fault}"


def test_heartbeat_makes_the_addon_active_and_stop_degrades_it(pod_world: PodWorld) -> None:
    cluster = pod_world.cluster("agent-hb", addon=True)
    assert pod_world.addon_status(cluster)["status"] == "CREATING"
    status = HealthTracker(cluster_name=cluster, node_name="node-x", listening=("127.0.0.1:1",)).status()
    # an unsigned heartbeat, or one signed by a principal without eks-auth permission, is refused
    HttpHeartbeat(pod_world.heartbeat_url(cluster))(status)
    HttpHeartbeat(
        pod_world.heartbeat_url(cluster),
        region=pod_world.server.region,
        sign_with=_admin_less_session(pod_world),
    )(status)
    assert pod_world.addon_status(cluster)["status"] == "CREATING"

    heartbeat = HttpHeartbeat(
        pod_world.heartbeat_url(cluster), region=pod_world.server.region, sign_with=pod_world.node_session()
    )
    with AgentThread(agent_config(cluster), pod_world.upstream(), heartbeat=heartbeat):
        addon = pod_world.wait_addon_status(cluster, "ACTIVE")
        assert addon["status"] == "ACTIVE", addon
        out = pod_world.server.aws(
            "eks",
            "describe-addon",
            "--cluster-name",
            cluster,
            "--addon-name",
            "eks-pod-identity-agent",
            "--query",
            "addon.status",
            "--output",
            "text",
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "ACTIVE"
    # stop sent a final STOPPED heartbeat (and no eks-auth call ever made the agent implicitly alive)
    addon = pod_world.addon_status(cluster)
    assert addon["status"] == "DEGRADED", addon
    assert "stopped" in addon["health"]["issues"][0]["message"]


def _admin_less_session(world: PodWorld) -> Any:
    import boto3

    iam = world.server.client("iam")
    iam.create_user(UserName="not-a-node")
    key = iam.create_access_key(UserName="not-a-node")["AccessKey"]
    return boto3.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name=world.server.region,
    )


def test_eks_auth_outage_serves_cached_credentials_until_they_expire(
    podid_server_factory: Callable[..., PodidServer],
) -> None:
    """podid stops: renewals fail (recoverable), the cached credentials are still served; once they
    expire the agent answers a clear 500."""
    world = PodWorld.create(podid_server_factory())
    cluster = world.cluster("agent-outage")
    pod = world.pod(cluster, "web-1")
    clock = FakeClock(start=time.time())
    upstream = world.upstream(connect_timeout=0.5)
    thread = AgentThread(agent_config(cluster, renewal_ttl=3600.0), upstream, clock=clock)
    with thread as agent:
        first = httpx.get(agent.urls[0], headers={"Authorization": pod.token})
        assert first.status_code == 200, first.text
        creds = first.json()
        assert world.server.stop() is not None  # EKS Auth goes away
        clock.advance(3601)  # renewal due: it fails, the cached credentials are still served
        for _ in range(3):
            response = httpx.get(agent.urls[0], headers={"Authorization": pod.token}, timeout=10)
            assert response.status_code == 200, response.text
            assert response.json() == creds
        thread.call(agent.cache.drain())
        assert agent.metrics.cache_errors.value("Recoverable", "UpstreamUnavailableError") >= 1
        assert pod.token in agent.cache
        clock.advance(6 * 3600)  # past the credentials' expiry: a clear error
        gone = httpx.get(agent.urls[0], headers={"Authorization": pod.token}, timeout=10)
    assert gone.status_code == 500
    assert gone.text.startswith(
        "error getting credentials to cache: unable to fetch credentials from EKS Auth"
    )
