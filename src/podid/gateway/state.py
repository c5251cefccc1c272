"""`AppState`: what the running gateway holds (config, store, token codec, audit writer, caches).

Components add Starlette routes or mounts to :attr:`AppState.routes` and callables to
:attr:`AppState.startup` / :attr:`AppState.shutdown` before :func:`podid.gateway.app.build_app` is
called (:func:`podid.compose.install_components`). What packages share is a typed field here; a
component's private singleton goes in :attr:`AppState.extras` under its own module's key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podid.gateway.authz import PolicyCache

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from podid.auth.tokens import TokenCodec
    from podid.gateway.audit import AuditWriter
    from podid.store import Store

DEFAULT_ACCOUNT_ID = "111122223333"
DEFAULT_REGION = "us-east-1"


@dataclass
class Config:
    """Server configuration: account, default region, state dir, public URL."""

    state_dir: Path
    account_id: str = DEFAULT_ACCOUNT_ID
    region: str = DEFAULT_REGION
    host: str = "127.0.0.1"
    port: int = 4566
    db_url: str | None = None
    mode: str = "enforce"               # "record": data-plane denials are logged, not enforced
    durability: str = "sync"            # data plane: "sync" (on disk before the ack) or "async"

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


@dataclass
class ClusterOptions:
    """How ``podid up`` runs the Kubernetes side of its EKS clusters (its command-line options)."""

    kube_host: str = "127.0.0.1"
    kube_port: int | None = None        # None: a free port
    node_agent: bool = True             # run a node agent per cluster
    node_role: str | None = None        # IMDS node role (``--node-role``)
    issuer_tls: bool = False            # serve the clusters' OIDC issuers over TLS


@dataclass
class AppState:
    """Everything request handling needs; one per process."""

    config: Config
    store: Store
    tokens: TokenCodec
    audit: AuditWriter
    routes: list[BaseRoute] = field(default_factory=list)   # extra Starlette routes/mounts
    startup: list[Callable[[], Any]] = field(default_factory=list)
    shutdown: list[Callable[[], Any]] = field(default_factory=list)
    cluster: ClusterOptions = field(default_factory=ClusterOptions)
    #: compiled identity policies per principal, shared by the gateway's judge and EKS Auth
    policy_cache: PolicyCache = field(default_factory=PolicyCache)
    #: CA file of podid's own TLS listeners (the clusters' issuers), trusted by STS's JWKS fetches
    loopback_ca: str | None = None
    #: merged into ``server.json`` once components are installed (kube_url, kubeconfig, imds_url)
    server_info: dict[str, Any] = field(default_factory=dict)
    #: component-private singletons (the EKS service, the data plane...), keyed by the owner's constant
    extras: dict[str, Any] = field(default_factory=dict)
