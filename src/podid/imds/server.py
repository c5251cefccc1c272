"""The IMDS listener: a loopback socket (never a public bind) served on its own thread."""

from __future__ import annotations

from starlette.types import ASGIApp

from podid.gateway.listener import ThreadedListener, bind

LOOPBACK = "127.0.0.1"


class ImdsServer(ThreadedListener):
    """``ImdsServer(app).start()`` serves on 127.0.0.1:<port> (0: a free port); ``url`` ends with '/'."""

    def __init__(self, app: ASGIApp, port: int = 0) -> None:
        super().__init__(app, bind(LOOPBACK, port), "imds")

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/"
