"""Build an Inventory: the cluster's identities, their roles' policies and the existing resources.

Owns the order of the reads and the clients: one boto3 session (profile, region, endpoint URL),
so the same code reads `podid up` and a real AWS account + EKS cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from podid.matrix import identities, resources
from podid.matrix.model import Inventory
from podid.matrix.roles import role_policies

DEFAULT_SERVICES = ("s3", "sqs", "secretsmanager", "kms", "dynamodb", "logs")


class Clients:
    """boto3 clients of one session, created once per service."""

    def __init__(self, *, profile: str | None, region: str | None, endpoint_url: str | None) -> None:
        self.session = boto3.Session(profile_name=profile, region_name=region)
        self.endpoint_url = endpoint_url
        self.region = self.session.region_name or "us-east-1"
        self._made: dict[str, Any] = {}
        self._config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10,
                              read_timeout=60, s3={"addressing_style": "path"})

    def __call__(self, service: str) -> Any:
        if service not in self._made:
            self._made[service] = self.session.client(service, region_name=self.region,
                                                      endpoint_url=self.endpoint_url, config=self._config)
        return self._made[service]


def collect(clients: Clients, cluster: str, *, kubeconfig: str | None = None, context: str | None = None,
            services: Sequence[str] = DEFAULT_SERVICES, max_objects: int = 100,
            irsa: bool = True) -> Inventory:
    """Read everything the matrix needs (see the module docstring)."""
    account = clients("sts").get_caller_identity()["Account"]
    inv = Inventory(cluster=cluster, account=account, region=clients.region)
    inv.identities.extend(identities.pod_identity(clients("eks"), cluster))
    if irsa:
        try:
            core = identities.kube_core(kubeconfig, context or cluster)
            inv.identities.extend(identities.irsa(core, cluster))
        except Exception as exc:   # noqa: BLE001 - no reachable Kubernetes API: say so, keep the rest
            inv.notes.append(f"IRSA ServiceAccounts not read from the Kubernetes API: {exc}")
    for role_arn in sorted({i.role_arn for i in inv.identities}):
        try:
            inv.roles[role_arn] = role_policies(clients("iam"), role_arn)
        except (ClientError, BotoCoreError) as exc:
            inv.notes.append(f"{role_arn}: policies not readable ({exc}); its ServiceAccounts are left out")
    inv.resources = resources.list_resources(clients, account, list(services), inv.notes, max_objects)
    return inv
