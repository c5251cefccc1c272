"""A tiny TCP round-robin load balancer on loopback for replica tests (no library: ~60 lines).

Each accepted connection goes to the next backend in turn; a backend that refuses the connection is
skipped for the next one (what HAProxy's ``redispatch`` / nginx's ``proxy_next_upstream error`` do
for a dead replica). Bytes are pumped both ways by two threads per connection; an established
connection whose backend dies is closed (the client sees a reset, as behind any L4 balancer).
Everything is bounded: connect timeout, idle timeout, and ``stop()`` closes every socket.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
from collections.abc import Sequence


class RoundRobinLB:
    """``with RoundRobinLB([(host, port), ...]) as lb: lb.port``"""

    def __init__(self, backends: Sequence[tuple[str, int]], *, idle_timeout: float = 60.0) -> None:
        self.backends = list(backends)
        self.idle_timeout = idle_timeout
        self._next = itertools.cycle(range(len(self.backends)))
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = int(self._sock.getsockname()[1])
        self._stop = threading.Event()
        self._open: set[socket.socket] = set()
        self.served: list[int] = [0] * len(self.backends)
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> RoundRobinLB:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _connect(self) -> socket.socket | None:
        with self._lock:
            start = next(self._next)
        for i in range(len(self.backends)):
            index = (start + i) % len(self.backends)
            try:
                upstream = socket.create_connection(self.backends[index], timeout=2)
            except OSError:
                continue
            with self._lock:
                self.served[index] += 1
            return upstream
        return None

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = self._connect()
            if upstream is None:
                client.close()
                continue
            for s in (client, upstream):
                s.settimeout(self.idle_timeout)
            with self._lock:
                self._open.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
                with self._lock:
                    self._open.discard(s)

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()
        with self._lock:
            sockets = list(self._open)
        for s in sockets:
            s.close()
        self._thread.join(timeout=5)
