"""The node agent as on a real node: in its own network namespace, serving 169.254.170.23:80 and
[fd00:ec2::23]:80 on the dummy interface ``pod-id-link0``, reached from a *pod* namespace over a
veth pair by the aws CLI and boto3 with only the Pod Identity variables.

Chain: pod netns SDK -> agent (node netns, ``podid agent --link-local``) -> ``podid broker``
(host loopback, reached through a loopback bridge) -> STS/EKS of ``podid up`` over https.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from support.broker import BrokerWorld, write_token
from support.netns import AGENT_V4, AGENT_V6, netns_unavailable
from support.server import BIN, free_port

REASON = netns_unavailable()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")
S3_LIST = {"Version": "2012-10-17",
           "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}


def test_pod_namespace_gets_the_role_from_the_link_local_agent(world: BrokerWorld, tmp_path: Path) -> None:
    cluster = world.cluster("rc-netns")
    role_arn = world.role("rc-netns-reader", policy=S3_LIST)
    pod = world.pod(cluster, "web-1", namespace="shop", sa="reader")
    world.associate(cluster, "shop", "reader", role_arn)
    token_file = write_token(tmp_path / "token", pod.token)
    with world.start_node_agent(cluster) as (net, broker, agent):
        aws_in_pod = free_port()
        net.bridge(net.pod, aws_in_pod, world.server.port)
        prefix = (f"arn:aws:sts::{world.server.account_id}:assumed-role/rc-netns-reader/"
                  "eks-rc-netns-web-1-")
        for host in (AGENT_V4, f"[{AGENT_V6}]"):
            env_url = f"http://{host}"
            cli = world.aws_as_pod(env_url, token_file, "sts", "get-caller-identity", "--output", "json",
                                   "--endpoint-url", f"http://127.0.0.1:{aws_in_pod}",
                                   prefix=net.in_pod())
            assert cli.returncode == 0, cli.stderr + agent.log() + broker.log()
            assert json.loads(cli.stdout)["Arn"].startswith(prefix)
        py = world.boto3_as_pod(f"http://{AGENT_V4}", token_file, prefix=[
            *net.in_pod(), "env", f"AWS_ENDPOINT_URL=http://127.0.0.1:{aws_in_pod}"])
        assert py.returncode == 0, py.stderr + agent.log()
        assert py.stdout.strip().startswith(prefix)
        denied = world.aws_as_pod(f"http://{AGENT_V4}", token_file, "iam", "list-users",
                                  "--endpoint-url", f"http://127.0.0.1:{aws_in_pod}", prefix=net.in_pod())
        assert denied.returncode != 0 and "AccessDenied" in denied.stderr
        # the agent's addresses exist only in the node namespace, not in the host's
        host = subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True, timeout=10,
                              check=True)
        assert AGENT_V4 not in host.stdout and AGENT_V6 not in host.stdout


def test_forged_token_from_the_pod_namespace_is_refused(world: BrokerWorld, tmp_path: Path) -> None:
    cluster = world.cluster("rc-netns-forged")
    role_arn = world.role("rc-netns-forged-reader", policy=S3_LIST)
    pod = world.pod(cluster, "web-2", namespace="shop", sa="reader")
    world.associate(cluster, "shop", "reader", role_arn)
    head, body, _sig = pod.token.split(".")
    token_file = write_token(tmp_path / "forged", f"{head}.{body}.{'A' * 43}")
    with world.start_node_agent(cluster) as (net, _broker, agent):
        code = ("import urllib.request as u, urllib.error as e\n"
                f"r = u.Request('http://{AGENT_V4}/v1/credentials', headers={{'Authorization': "
                f"open({str(token_file)!r}).read()}})\n"
                "try: u.urlopen(r, timeout=10); print('200')\n"
                "except e.HTTPError as x: print(x.code, x.read().decode())")
        out = subprocess.run([*net.in_pod(), str(BIN / "python"), "-c", code], capture_output=True,
                             text=True, timeout=30, check=False)
        status = out.stdout.split(" ", 1)[0]
        assert status in ("400", "401", "403"), out.stdout + out.stderr + agent.log()
        assert "AccessKeyId" not in out.stdout
