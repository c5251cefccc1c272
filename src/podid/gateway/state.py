"""`AppState`: what the running gateway holds (config, store, token codec, audit writer, caches).

Extension point for later components (EKS API, agent, Kubernetes API): append Starlette routes or
mounts to :attr:`AppState.routes` and callables to :attr:`AppState.startup` /
:attr:`AppState.shutdown` before :func:`podid.gateway.app.build_app` is called (``podid up`` runs
every ``podid.server_extensions`` hook it finds, see :mod:`podid.cli.server`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from podid.auth.tokens import TokenCodec
    from podid.gateway.audit import AuditWriter

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
class AppState:
    """Everything request handling needs; one per process."""

    config: Config
    store: Any                      # podid.store.Store (get_access_key, principal_policies, ...)
    tokens: TokenCodec
    audit: AuditWriter
    routes: list[BaseRoute] = field(default_factory=list)   # extra Starlette routes/mounts
    startup: list[Callable[[], Any]] = field(default_factory=list)
    shutdown: list[Callable[[], Any]] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)    # per-component state, keyed by package
