"""The Kubernetes listener of ``podid up``: TLS uvicorn on its own thread and event loop, routing
``/clusters/<name>/...`` to each cluster's ``podid.k8s`` app.

kubectl sends bearer tokens only over TLS, while AWS clients use podid's plain-http port; so the
clusters get a second port, served by :class:`podid.gateway.listener.ThreadedListener`. Clusters
are added and removed at any time (:meth:`ClusterRouter.add` / :meth:`ClusterRouter.remove`,
copy-on-write route list).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from podid.gateway.listener import ThreadedListener, bind_preferred

log = logging.getLogger("podid.cluster")

PREFIX = "/clusters"


async def _not_found(request: Request) -> Response:
    return JSONResponse({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                         "message": "no such cluster", "reason": "NotFound", "code": 404}, status_code=404)


class ClusterRouter:
    """ASGI app: ``/clusters/<name>`` -> that cluster's app; anything else -> a 404 Status."""

    def __init__(self, extra_routes: list[BaseRoute] | None = None) -> None:
        self._extra = list(extra_routes or [])   # matched first (e.g. the clusters' OIDC issuer routes)
        self._apps: dict[str, ASGIApp] = {}
        self._lock = threading.Lock()
        self._router = Router(routes=self._routes())

    def _routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = list(self._extra)
        routes += [Mount(f"{PREFIX}/{name}", app=app) for name, app in self._apps.items()]
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


class KubeServer(ThreadedListener):
    """The TLS listener of the clusters (``start()`` once the app is ready; ``stop()`` on shutdown)."""

    def __init__(self, app: ASGIApp, host: str, port: int, certfile: Path, keyfile: Path) -> None:
        super().__init__(app, bind_preferred(host, port, "kube"), "kube", tls=(certfile, keyfile))
