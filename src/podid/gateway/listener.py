"""Extra listeners of ``podid up``: a bound socket and uvicorn on its own thread and event loop.

The socket is bound at construction, so the port is known before the server starts (for the
kubeconfig, ``describe-cluster``, the IMDS address pods are given). uvicorn runs without signal
handling: ``podid up``'s main server owns SIGINT/SIGTERM and stops these listeners on shutdown.
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
from starlette.types import ASGIApp

log = logging.getLogger("podid.gateway")


def bare_host(host: str) -> str:
    """`[::1]` -> `::1`."""
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def bind(host: str, port: int) -> socket.socket:
    """A listening, non-blocking TCP socket on host:port (port 0: any free port; IPv6 sockets are
    v6-only)."""
    host = bare_host(host)
    info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    # proto must be IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets that say so
    # (with proto 0 every response pays Nagle + delayed ACK, ~40 ms on loopback).
    sock = socket.socket(info[0], socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if info[0] == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(info[4])
        sock.listen(1024)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def bind_preferred(host: str, port: int, what: str) -> socket.socket:
    """Bind ``port``; when it is taken, fall back to a free port (logged)."""
    try:
        return bind(host, port)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE or port == 0:
            raise
        log.warning("%s port %s is in use; using a free port instead", what, port)
        return bind(host, 0)


class _Server(uvicorn.Server):
    """uvicorn without signal handling (see the module docstring)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class ThreadedListener:
    """``ThreadedListener(app, sock, name, tls=(certfile, keyfile)).start()``; ``stop()`` on shutdown."""

    def __init__(self, app: ASGIApp, sock: socket.socket, name: str,
                 tls: tuple[Path, Path] | None = None) -> None:
        self.socket = sock
        self.host, self.port = str(sock.getsockname()[0]), int(sock.getsockname()[1])
        self.name = name
        ssl = {"ssl_certfile": str(tls[0]), "ssl_keyfile": str(tls[1])} if tls else {}
        config = uvicorn.Config(app, ws="wsproto", lifespan="off", log_level="warning", access_log=False,
                                server_header=False, timeout_graceful_shutdown=2, **ssl)  # type: ignore[arg-type]
        self.server = _Server(config)
        self.scheme = "https" if tls else "http"
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        self._thread = threading.Thread(target=self._run, name=f"podid-{self.name}", daemon=True)
        self._thread.start()
        for _ in range(int(timeout / 0.02)):
            if self.server.started or not self._thread.is_alive():
                break
            threading.Event().wait(0.02)
        if not self.server.started:
            raise RuntimeError(f"the {self.name} listener did not start")

    def _run(self) -> None:
        asyncio.run(self.server.serve(sockets=[self.socket]))

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        with contextlib.suppress(OSError):
            self.socket.close()
