"""The node of a podid cluster: its IAM role, its instance-profile-like session, its Pod Identity agent.

* :func:`ensure_node_role` creates ``podid-node-<cluster>`` (trusting ``ec2.amazonaws.com``, as an EKS
  node role does) with the inline policy ``eks-pod-identity-agent`` allowing
  ``eks-auth:AssumeRoleForPodIdentity`` on the cluster - exactly the permission the real agent needs.
* :func:`node_session` is a boto3 Session whose refreshable credentials are sessions of that role,
  minted in-process the way EC2 hands instance-profile credentials to a node (trust: the EC2 service).
* :class:`NodeAgent` runs :class:`podid.agent.AgentThread` bound to 127.0.0.1 on the cluster's
  agent port, calling podid's EKS Auth over HTTP with those credentials, and reporting heartbeats
  straight into the EKS repository (what makes the add-on ACTIVE).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("podid.cluster")

NODE_ROLE_PREFIX = "podid-node-"
NODE_POLICY = "eks-pod-identity-agent"
NODE_NAME = "podid-node"
SESSION_SECONDS = 6 * 3600
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
         "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def node_role_name(cluster: str) -> str:
    return (NODE_ROLE_PREFIX + cluster)[:64]


def ensure_node_role(store: Any, account_id: str, cluster_arn: str, cluster: str) -> str:
    """Create (or repair) the node role and its policy; returns the role ARN."""
    from podid.store import errors as store_errors

    name = node_role_name(cluster)
    role = store.get_role(account_id, name)
    if role is None:
        try:
            role = store.create_role(account_id, name, json.dumps(TRUST),
                                     description=f"podid node role of EKS cluster {cluster}",
                                     max_session_duration=SESSION_SECONDS)
        except store_errors.EntityAlreadyExists:
            role = store.get_role(account_id, name)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
              "Action": "eks-auth:AssumeRoleForPodIdentity", "Resource": cluster_arn}]}
    store.put_inline_policy(account_id, "role", name, NODE_POLICY, json.dumps(policy))
    return str(role.arn)


def node_session(state: Any, role_arn: str, region: str) -> Any:
    """A boto3 Session signing as a (refreshing) session of the node role."""
    import boto3
    import botocore.session
    from botocore.credentials import RefreshableCredentials

    from podid.sts.sessions import SessionRequest, assume_role_as

    def fetch() -> dict[str, str]:
        issued = assume_role_as(state.store, state.tokens,
                                SessionRequest(role_arn=role_arn, session_name=NODE_NAME),
                                principal="ec2.amazonaws.com", duration=SESSION_SECONDS)
        c = issued.credentials
        return {"access_key": c.access_key_id, "secret_key": c.secret_access_key, "token": c.session_token,
                "expiry_time": dt.datetime.fromtimestamp(c.expiration, dt.UTC).isoformat()}

    creds = RefreshableCredentials.create_from_metadata(metadata=fetch(), refresh_using=fetch,
                                                        method="podid-node-role")
    core = botocore.session.get_session()
    core._credentials = creds  # noqa: SLF001 - botocore's documented way to inject refreshable creds
    core.set_config_variable("region", region)
    return boto3.Session(botocore_session=core, region_name=region)


class NodeAgent:
    """The in-process Pod Identity agent of one cluster."""

    def __init__(self, cluster: str, port: int, endpoint: str, session: Any, region: str,
                 heartbeat: Callable[[Any], None], heartbeat_interval: float = 30.0) -> None:
        from podid.agent import AgentConfig, AgentThread, EksAuthUpstream

        self.port = port
        config = AgentConfig(cluster_name=cluster, port=port, bind_hosts=("127.0.0.1",), probe_port=None,
                             metrics_port=None, heartbeat_interval=heartbeat_interval)
        upstream = EksAuthUpstream(region=region, endpoint_url=endpoint, session=session)
        self._thread = AgentThread(config, upstream, heartbeat=heartbeat)
        self.running = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/credentials"

    def start(self) -> None:
        self._thread.start()
        self.running = True

    def stop(self) -> None:
        self._thread.stop()
        self.running = False
