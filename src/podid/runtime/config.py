"""Runtime configuration (:class:`RuntimeConfig`): where pods live and what their processes see."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from podid.runtime.images import ImageMap

MountMode = Literal["auto", "namespace", "rewrite"]

#: the Pod Identity agent address EKS injects (wire facts §5)
POD_IDENTITY_AGENT_HOSTS = ("http://169.254.170.23", "http://[fd00:ec2::23]")


@dataclass(frozen=True)
class RuntimeConfig:
    """Everything a :class:`~podid.runtime.ProcessRuntime` needs besides the store and token issuer.

    ``state_dir``/``cluster`` give the pod directories ``STATE/clusters/<cluster>/pods/<ns>/<name>-<uid>``.
    ``aws_endpoint_url`` becomes every pod's ``AWS_ENDPOINT_URL`` (unless the pod sets its own);
    ``agent_url`` replaces the link-local Pod Identity agent address in
    ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` unless ``agent_link_local`` (the agent really listens on
    169.254.170.23). ``imds_url`` (``podid up --node-role``) becomes
    ``AWS_EC2_METADATA_SERVICE_ENDPOINT``; without it pods get ``AWS_EC2_METADATA_DISABLED=true``.
    ``mount_mode``: ``namespace`` = per-container mount namespace with bind mounts at
    the spec paths (root only), ``rewrite`` = env values/args pointing into a mount are rewritten to
    the pod's directory, ``auto`` = namespace when it works here, else rewrite.
    """

    state_dir: Path
    cluster: str
    node_name: str = "podid-node"
    aws_endpoint_url: str | None = None
    agent_url: str | None = None
    agent_link_local: bool = False
    imds_url: str | None = None
    region: str | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    images: ImageMap = field(default_factory=ImageMap.default)
    extra_tools: Mapping[str, str] = field(default_factory=dict)
    mount_mode: MountMode = "auto"
    pod_ip: str = "127.0.0.1"
    host_ip: str = "127.0.0.1"
    token_refresh_ratio: float = 0.8
    backoff_base_seconds: float = 10.0
    backoff_max_seconds: float = 300.0
    max_grace_seconds: float = 30.0
    exec_timeout_seconds: float = 4 * 3600.0
    max_follow_seconds: float = 4 * 3600.0
    tick_seconds: float = 0.1
    keep_pod_dirs: bool = False

    @property
    def cluster_dir(self) -> Path:
        return Path(self.state_dir) / "clusters" / self.cluster
