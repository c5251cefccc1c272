"""Agent configuration (the flags of `podid agent`, mirroring `cmd/server.go`)."""

from __future__ import annotations

from dataclasses import dataclass

#: The addresses EKS puts on `pod-id-link0` and that the webhook points SDKs at (port 80).
LINK_LOCAL_HOSTS: tuple[str, ...] = ("169.254.170.23", "fd00:ec2::23")
LINK_LOCAL_PORT = 80
#: podid's default credential listeners: loopback, reachable without root or a link.
DEFAULT_BIND_HOSTS: tuple[str, ...] = ("127.0.0.1", "::1")
DEFAULT_PORT = 2703
DEFAULT_PROBE_PORT = 2704
DEFAULT_METRICS_PORT = 2705


@dataclass(frozen=True)
class AgentConfig:
    """Everything the agent needs besides its upstream. Port 0 = an ephemeral port (tests)."""

    cluster_name: str
    port: int = DEFAULT_PORT
    bind_hosts: tuple[str, ...] = DEFAULT_BIND_HOSTS
    link_local: bool = False
    link_local_port: int = LINK_LOCAL_PORT
    probe_host: str = "127.0.0.1"
    probe_port: int | None = DEFAULT_PROBE_PORT
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = DEFAULT_METRICS_PORT
    renewal_ttl: float = 3 * 3600.0
    max_cache_size: int = 2000
    refresh_qps: float = 3.0
    request_rate: float = 1000.0
    request_burst: int = 500
    upstream_threads: int = 16
    cleanup_interval: float = 60.0
    heartbeat_interval: float = 30.0
    verify_iat: bool = False

    def __post_init__(self) -> None:
        if not self.cluster_name:
            raise ValueError("cluster name is required")
        if self.upstream_threads < 1:
            raise ValueError("upstream_threads must be >= 1")
