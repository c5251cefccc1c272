"""The Kubernetes listener of ``podid up``: TLS uvicorn on its own thread and event loop, routing
``/clusters/<name>/...`` to each cluster's ``podid.k8s`` app.

kubectl sends bearer tokens only over TLS, while AWS clients use podid's plain-http port; so the
clusters get a second port. The socket is bound at construction (the port is known before the
server starts, for the kubeconfig and ``describe-cluster``). Clusters are added and removed at any
time (:meth:`ClusterRouter.add` / :meth:`ClusterRouter.remove`, copy-on-write route list).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import threading
from collections.abc import Generator
from pathlib import Path

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger("podid.cluster")

PREFIX = "/clusters"


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(1024)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def bind_preferred(host: str, port: int) -> socket.socket:
    """Bind ``port``; when it is taken, fall back to a free port (logged)."""
    try:
        return bind(host, port)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE or port == 0:
            raise
        log.warning("kube port %s is in use; using a free port instead", port)
        return bind(host, 0)


async def _not_found(request: Request) -> Response:
    return JSONResponse({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                         "message": "no such cluster", "reason": "NotFound", "code": 404}, status_code=404)


class ClusterRouter:
    """ASGI app: ``/clusters/<name>`` -> that cluster's app; anything else -> a 404 Status."""

    def __init__(self) -> None:
        self._apps: dict[str, ASGIApp] = {}
        self._lock = threading.Lock()
        self._router = Router(routes=self._routes())

    def _routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [Mount(f"{PREFIX}/{name}", app=app) for name, app in self._apps.items()]
        routes.append(Route("/{path:path}", _not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]))
        return routes

    def add(self, name: str, app: ASGIApp) -> None:
        with self._lock:
            self._apps[name] = app
            self._router.routes = self._routes()

    def remove(self, name: str) -> ASGIApp | None:
        with self._lock:
            app = self._apps.pop(name, None)
            self._router.routes = self._routes()
            return app

    def get(self, name: str) -> ASGIApp | None:
        return self._apps.get(name)

    def names(self) -> list[str]:
        return list(self._apps)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        await self._router(scope, receive, send)


class _Server(uvicorn.Server):
    """uvicorn without signal handling: ``podid up``'s main server owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class KubeServer:
    """The TLS listener thread. ``start()`` once the app is ready; ``stop()`` on shutdown."""

    def __init__(self, app: ASGIApp, host: str, port: int, certfile: Path, keyfile: Path) -> None:
        self.host = host
        self.socket = bind_preferred(host, port)
        self.port = int(self.socket.getsockname()[1])
        config = uvicorn.Config(app, ssl_certfile=str(certfile), ssl_keyfile=str(keyfile), ws="wsproto",
                                lifespan="off", log_level="warning", access_log=False, server_header=False,
                                timeout_graceful_shutdown=2)
        self.server = _Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        self._thread = threading.Thread(target=self._run, name="podid-kube", daemon=True)
        self._thread.start()
        for _ in range(int(timeout / 0.02)):
            if self.server.started or not self._thread.is_alive():
                break
            threading.Event().wait(0.02)
        if not self.server.started:
            raise RuntimeError("the Kubernetes listener did not start")

    def _run(self) -> None:
        asyncio.run(self.server.serve(sockets=[self.socket]))

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        with contextlib.suppress(OSError):
            self.socket.close()
