"""Replicated control plane for tests and bench/: ``podid up`` replicas on one PostgreSQL, brokers
validating a simulated cluster's tokens with its JWKS file, and the fleet of pods' tokens.

A replica set shares the PostgreSQL database and one Secret-like set of files (the first replica's
temporary-credential master keys and TLS material, copied as a mounted Kubernetes Secret would be);
nothing else is shared and there is no leader.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from podid.oidc import IssuerKeys, issue_token
from support.broker import BROKER_POLICY, Process, broker_trust, wait_http
from support.server import PODID, PodidServer, clean_env, free_port, start_podid

ISSUER = "https://replicas.k8s.example/issuer"  # the simulated cluster's issuer (JWKS from a file)
CLUSTER = "replicas"


def client(service: str, url: str, ca: str, creds: tuple[str, ...], attempts: int = 2) -> Any:
    """A boto3 client for ``url`` (https, verified with ``ca``), standard retries."""
    session = boto3.Session(
        aws_access_key_id=creds[0],
        aws_secret_access_key=creds[1],
        aws_session_token=creds[2] if len(creds) > 2 else None,
        region_name="us-east-1",
    )
    return session.client(service, endpoint_url=url, verify=ca, config=Config(
        retries={"total_max_attempts": attempts, "mode": "standard"}, connect_timeout=3, read_timeout=20))


def start_replica(tmp: Path, name: str, db: str, tls_port: int,
                  seed: Path | None) -> contextlib.AbstractContextManager[PodidServer]:
    """``podid up --db DB --tls-port P``; ``seed``: the first replica's state (the shared Secret)."""
    state = tmp / name
    state.mkdir()
    if seed is not None:
        shutil.copy2(seed / "master-keys.json", state / "master-keys.json")
        shutil.copy2(seed / "ca.crt", state / "ca.crt")
        shutil.copytree(seed / "kube", state / "kube")
    return start_podid(state, extra_args=["--db", db, "--tls-port", str(tls_port), "--no-node-agent"])


@dataclass
class Fleet:
    """The broker's IAM user, the cluster, ``pods`` roles + associations and the pods' tokens."""

    aws_url: str
    ca: str
    admin: tuple[str, str]
    account_id: str
    broker_keys: tuple[str, str] = ("", "")
    broker_arn: str = ""
    cluster_arn: str = ""
    jwks: Path = Path()
    tokens: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, tmp: Path, aws_url: str, ca: str, admin: tuple[str, str], account_id: str,
               pods: int = 8) -> Fleet:
        fleet = cls(aws_url, ca, admin, account_id)
        iam = client("iam", aws_url, ca, admin)
        eks = client("eks", aws_url, ca, admin)
        iam.create_user(UserName="broker")
        iam.put_user_policy(UserName="broker", PolicyName="b", PolicyDocument=json.dumps(BROKER_POLICY))
        key = iam.create_access_key(UserName="broker")["AccessKey"]
        fleet.broker_keys = (key["AccessKeyId"], key["SecretAccessKey"])
        fleet.broker_arn = f"arn:aws:iam::{account_id}:user/broker"
        cluster = eks.create_cluster(name=CLUSTER, roleArn=f"arn:aws:iam::{account_id}:role/c",
                                     resourcesVpcConfig={})
        fleet.cluster_arn = cluster["cluster"]["arn"]
        now = int(time.time())
        keys = IssuerKeys.generate(now)
        fleet.jwks = tmp / "jwks.json"
        fleet.jwks.write_text(json.dumps(keys.jwks(now)))
        for i in range(pods):
            sa = f"app-{i}"
            role = iam.create_role(RoleName=f"pods-{i}",
                                   AssumeRolePolicyDocument=json.dumps(broker_trust(fleet.broker_arn)))
            eks.create_pod_identity_association(clusterName=CLUSTER, namespace="prod", serviceAccount=sa,
                                                roleArn=role["Role"]["Arn"])
            fleet.tokens.append(issue_token(keys, ISSUER, "prod", sa, str(uuid.uuid4()),
                                            ["pods.eks.amazonaws.com"], 3600,
                                            pod=(f"pod-{i}", str(uuid.uuid4())), now=now))
        return fleet

    @contextlib.contextmanager
    def broker(self, tmp: Path, aws_url: str | None = None) -> Iterator[Process]:
        """A ``podid broker`` (JWKS file) with the broker user's keys, STS/EKS at ``aws_url``."""
        port = free_port()
        env = clean_env()
        env.update(AWS_ACCESS_KEY_ID=self.broker_keys[0], AWS_SECRET_ACCESS_KEY=self.broker_keys[1],
                   AWS_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        url = aws_url or self.aws_url
        log_path = tmp / f"broker-{port}.log"
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                [str(PODID), "broker", "--cluster-name", CLUSTER, "--cluster-arn", self.cluster_arn,
                 "--issuer", ISSUER, "--jwks-file", str(self.jwks), "--sts-endpoint", url,
                 "--eks-endpoint", url, "--ca-bundle", self.ca, "--region", "us-east-1", "--port", str(port)],
                stdout=log, stderr=subprocess.STDOUT, env=env)
        handle = Process(f"http://127.0.0.1:{port}", port, proc, log_path)
        try:
            wait_http(handle.url + "/healthz", proc, log_path)
            yield handle
        finally:
            handle.stop()
