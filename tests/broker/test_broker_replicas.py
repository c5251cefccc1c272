"""Replicas: two ``podid up`` on one real PostgreSQL behind a round-robin TCP balancer (the "AWS"
the brokers call over https), two ``podid broker`` behind another; one of each killed (SIGKILL)
under load.

Checked: no AssumeRoleForPodIdentity call of the load sees an error with its SDK allowed one retry;
every IAM role and Pod Identity association whose creation was acknowledged through the balancer
exists afterwards (read through the surviving replica); a pod's aws CLI (Pod Identity variables only)
through ``podid agent`` -> brokers -> replicas still gets its role. The replicas share the
PostgreSQL database and one Secret-like set of files (the temporary-credential master keys and
the TLS certificate, copied as a Kubernetes Secret would be mounted); nothing else is shared and
there is no leader.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from support.broker import broker_trust, wait_http, write_token
from support.lb import RoundRobinLB
from support.postgres import PgServer, pg_missing
from support.replicas import CLUSTER, Fleet, client, start_replica
from support.server import PODID, PodidServer, clean_env, free_port

LOAD_SECONDS = 9.0
_client = client


@pytest.fixture(scope="module")
def pg() -> Iterator[PgServer]:
    reason = pg_missing()
    if reason:
        pytest.fail(f"PostgreSQL is required for the replica test: {reason} (apt-get install postgresql)")
    server = PgServer()
    server.start()
    yield server
    server.stop()


class Load:
    """Pods calling AssumeRoleForPodIdentity and an operator creating roles + associations."""

    def __init__(
        self,
        broker_url: str,
        aws_url: str,
        ca: str,
        admin: tuple[str, str],
        tokens: list[str],
        broker_arn: str,
    ) -> None:
        self.broker_url, self.aws_url, self.ca, self.admin = broker_url, aws_url, ca, admin
        self.tokens, self.broker_arn = tokens, broker_arn
        self.stop = threading.Event()
        self.ok = 0
        self.errors: list[str] = []
        self.acked_roles: list[str] = []
        self.acked_assocs: list[tuple[str, str]] = []
        self.write_errors: list[str] = []
        self._lock = threading.Lock()

    def pod(self, index: int) -> None:
        client = _client("eks-auth", self.broker_url, self.ca, ("AKIAIOSFODNN7EXAMPLE", "x" * 40))
        n = index
        while not self.stop.is_set():
            token = self.tokens[n % len(self.tokens)]
            n += 1
            try:
                out = client.assume_role_for_pod_identity(clusterName=CLUSTER, token=token)
                assert out["credentials"]["accessKeyId"].startswith("ASIA")
                with self._lock:
                    self.ok += 1
            except Exception as exc:  # noqa: BLE001 - every failure is recorded and fails the test
                with self._lock:
                    self.errors.append(f"{type(exc).__name__}: {exc}")

    def operator(self) -> None:
        iam = _client("iam", self.aws_url, self.ca, self.admin)
        eks = _client("eks", self.aws_url, self.ca, self.admin)
        while not self.stop.is_set():
            name = f"w-{uuid.uuid4().hex[:10]}"
            try:
                iam.create_role(
                    RoleName=name, AssumeRolePolicyDocument=json.dumps(broker_trust(self.broker_arn))
                )
            except ClientError as exc:
                # a retried create whose first attempt committed before the replica died
                if exc.response["Error"]["Code"] != "EntityAlreadyExists":
                    self.write_errors.append(str(exc))
                    continue
            except Exception as exc:  # noqa: BLE001
                self.write_errors.append(f"{type(exc).__name__}: {exc}")
                continue
            self.acked_roles.append(name)
            try:
                eks.create_pod_identity_association(
                    clusterName=CLUSTER,
                    namespace="load",
                    serviceAccount=name,
                    roleArn=f"arn:aws:iam::111122223333:role/{name}",
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ResourceInUseException":
                    self.write_errors.append(str(exc))
                    continue
            except Exception as exc:  # noqa: BLE001
                self.write_errors.append(f"{type(exc).__name__}: {exc}")
                continue
            self.acked_assocs.append(("load", name))


def test_replica_and_broker_killed_under_load_lose_nothing(pg: PgServer, tmp_path: Path) -> None:
    db = pg.create_database()
    tls_a, tls_b = free_port(), free_port()
    with (
        start_replica(tmp_path, "a", db, tls_a, None) as a,
        start_replica(tmp_path, "b", db, tls_b, a.state_dir) as b,
        RoundRobinLB([("127.0.0.1", tls_a), ("127.0.0.1", tls_b)]) as aws_lb,
    ):
        _run(tmp_path, a, b, aws_lb)


def _run(tmp: Path, a: PodidServer, b: PodidServer, aws_lb: RoundRobinLB) -> None:
    ca = str(a.state_dir / "ca.crt")
    aws_url = f"https://127.0.0.1:{aws_lb.port}"
    admin = (a.access_key_id, a.secret_access_key)
    iam = _client("iam", aws_url, ca, admin)
    eks = _client("eks", aws_url, ca, admin)
    fleet = Fleet.create(tmp, aws_url, ca, admin, a.account_id)
    tokens, broker_arn = fleet.tokens, fleet.broker_arn
    with (
        fleet.broker(tmp) as b1,
        fleet.broker(tmp) as b2,
        RoundRobinLB([("127.0.0.1", b1.port), ("127.0.0.1", b2.port)]) as broker_lb,
    ):
        broker_url = f"http://127.0.0.1:{broker_lb.port}"
        load = Load(broker_url, aws_url, ca, admin, tokens, broker_arn)
        threads = [threading.Thread(target=load.pod, args=(i,)) for i in range(4)]
        threads.append(threading.Thread(target=load.operator))
        for t in threads:
            t.start()
        try:
            time.sleep(LOAD_SECONDS / 3)
            served_b = aws_lb.served[1]
            b.process.kill()  # replica B dies mid-load
            time.sleep(LOAD_SECONDS / 3)
            b2.process.kill()  # and one broker
            time.sleep(LOAD_SECONDS / 3)
        finally:
            load.stop.set()
            for t in threads:
                t.join(timeout=60)
        print(
            f"load: {load.ok} AssumeRoleForPodIdentity ok, {len(load.errors)} errors; "
            f"{len(load.acked_roles)} roles / {len(load.acked_assocs)} associations acknowledged; "
            f"aws LB served {aws_lb.served}, broker LB served {broker_lb.served}"
        )
        assert served_b > 0, "replica B never served: the balancer did not spread the load"
        assert load.errors == [], load.errors[:5]
        assert load.ok > 20, load.ok
        assert load.write_errors == [], load.write_errors[:5]
        assert len(load.acked_roles) > 3, load.acked_roles
        # nothing acknowledged is lost: read back through the balancer (only replica A is left)
        for name in load.acked_roles:
            iam.get_role(RoleName=name)
        listed = {
            (x["namespace"], x["serviceAccount"])
            for x in eks.get_paginator("list_pod_identity_associations")
            .paginate(clusterName=CLUSTER)
            .build_full_result()["associations"]
        }
        assert set(load.acked_assocs) <= listed
        # a pod's SDK through podid agent -> the brokers -> the surviving replica
        node = iam.create_access_key(UserName="broker")["AccessKey"]
        agent_port = free_port()
        env = clean_env()
        env.update(
            AWS_ACCESS_KEY_ID=node["AccessKeyId"],
            AWS_SECRET_ACCESS_KEY=node["SecretAccessKey"],
            AWS_REGION="us-east-1",
            AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        )
        agent_log = tmp / "agent.log"
        with open(agent_log, "ab") as log:
            agent = subprocess.Popen(
                [
                    str(PODID),
                    "agent",
                    "-c",
                    CLUSTER,
                    "--endpoint",
                    broker_url,
                    "-b",
                    "127.0.0.1",
                    "--port",
                    str(agent_port),
                    "--probe-port",
                    "0",
                    "--metrics-port",
                    "0",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        try:
            agent_url = f"http://127.0.0.1:{agent_port}/v1/credentials"
            wait_http(agent_url, agent, agent_log)
            token_file = write_token(tmp / "token", tokens[3])
            pod_env = clean_env()
            pod_env.update(
                AWS_CONTAINER_CREDENTIALS_FULL_URI=agent_url,
                AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(token_file),
                AWS_ENDPOINT_URL=a.url,
                AWS_REGION="us-east-1",
                AWS_DEFAULT_REGION="us-east-1",
                AWS_CONFIG_FILE="/dev/null",
                AWS_SHARED_CREDENTIALS_FILE="/dev/null",
            )
            out = subprocess.run(
                ["aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"],
                env=pod_env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert out.returncode == 0, out.stderr + agent_log.read_text()
            assert out.stdout.startswith(
                f"arn:aws:sts::{a.account_id}:assumed-role/pods-3/eks-replicas-pod-3-"
            )
        finally:
            agent.terminate()
            agent.wait(timeout=10)
