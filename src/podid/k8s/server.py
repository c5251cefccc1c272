"""A small uvicorn runner on loopback (TLS) in a background thread, for tests and demos.

``podid up`` will mount the cluster apps itself; this exists so the API can be driven by the real
kubectl without the gateway.
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

from podid.tls import ServingCert


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BackgroundServer:
    """``with BackgroundServer(app, cert) as srv: srv.url``; binds 127.0.0.1 only."""

    def __init__(
        self, app: ASGIApp, cert: ServingCert, port: int | None = None, startup_timeout: float = 10.0
    ) -> None:
        self.port = port or free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="podid-k8s-tls-")
        crt, key, _ = cert.write(Path(self._dir.name))
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            ssl_certfile=str(crt),
            ssl_keyfile=str(key),
            log_level="warning",
            ws="wsproto",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, name=f"podid-k8s-{self.port}", daemon=True)
        self.startup_timeout = startup_timeout

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the API server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=5)
        self._dir.cleanup()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
