"""HTTP/1.1 framing of the agent's listeners: Go net/http's limits and answers, never a dropped connection.

uvicorn's h11 protocol, adjusted where it differs from the Go server the real agent runs on:

- header block limit = Go's `http.DefaultMaxHeaderBytes` (1 MiB) plus the 4 KiB Go reads ahead, not
  h11's 16 KiB: a 1 MB token reaches the credential handler and gets the agent's own answer (400
  "cannot be parsed", or EKS Auth's relayed error), exactly as with the Go agent. Past the limit the
  answer is Go's `431 Request Header Fields Too Large`;
- a request h11 cannot parse (bare CR, control bytes, no or two Host headers, bad Content-Length or
  chunk framing, ...) is answered like Go (`400 Bad Request[: reason]`) in the agent's error shape
  (text/plain, body + newline, `X-Content-Type-Options: nosniff`, Content-Length,
  `Connection: close`) instead of uvicorn's bare "Invalid HTTP request received.";
- every close is a *lingering* close: the agent sends FIN after its answer and reads (and discards)
  what the client is still sending for up to `LINGER_SECONDS`, then closes. Closing a socket with
  unread input makes the kernel send RST, and a client still writing a large request then loses the
  answer (connection reset): that is how a 1 MB header was "dropped". Go does the same
  (`closeWriteAndWait`);
- no WebSocket handling (`ws="none"` in the server config): an `Upgrade` header is ignored and the
  request served, as net/http does;
- a client that half-closes in the middle of a request line or header block gets `400 Bad Request`
  (Go answers nothing there; an answer costs nothing and tells a hand-written client what happened).

Protocol errors are logged at info with a fixed reason (never the client's bytes: h11's messages
quote the offending line, which may hold the token). Like Go's server-level answers they never reach
the credential handler, so `pod_identity_http_response` does not count them.
"""

from __future__ import annotations

import asyncio
import logging
from email.utils import formatdate
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("podid.agent")

#: Go `http.DefaultMaxHeaderBytes`; net/http lets the request line + headers reach this + 4096.
GO_MAX_HEADER_BYTES = 1 << 20
MAX_HEADER_BLOCK = GO_MAX_HEADER_BYTES + 4096
#: How long a closing connection keeps draining the client's input (Go: 500 ms `rstAvoidanceDelay`).
LINGER_SECONDS = 2.0

#: h11 error message -> Go net/http's reason (the text after "400 Bad Request: ").
_GO_REASONS = {
    "Missing mandatory Host: header": "missing required Host header",
    "Found multiple Host: headers": "too many Host headers",
}


def go_error_text(error: h11.RemoteProtocolError | None) -> tuple[int, str]:
    """`(status, body text)` Go net/http answers for a request it cannot read.

    Header block over the limit -> 431 (Go's exact text); everything else -> 400, with Go's reason
    when h11's failure has a Go equivalent. h11 hints 501 for a transfer coding other than chunked
    (Go: `501 Not Implemented`, "Unsupported transfer encoding"); the agent answers that 400, because
    a client's malformed input never gets a 5xx from the agent.
    """
    if error is not None and error.error_status_hint == 431:
        return 431, "431 Request Header Fields Too Large"
    message = str(error) if error is not None else ""
    if error is not None and error.error_status_hint == 501:
        return 400, "400 Bad Request: unsupported transfer encoding"
    reason = _GO_REASONS.get(message)
    return 400, f"400 Bad Request: {reason}" if reason else "400 Bad Request"


def error_bytes(status: int, text: str) -> bytes:
    """A complete HTTP/1.1 error response in the agent's shape (Go `http.Error` + Connection: close)."""
    body = (text + "\n").encode()
    phrase = {400: "Bad Request", 431: "Request Header Fields Too Large"}.get(status, "Error")
    head = (
        f"HTTP/1.1 {status} {phrase}\r\n"
        f"date: {formatdate(usegmt=True)}\r\n"
        "content-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\n"
        "x-content-type-options: nosniff\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


class _Connection(h11.Connection):
    """h11 connection with a strict header limit that remembers the last parse error (uvicorn's
    handler does not pass it on).

    h11 checks `max_incomplete_event_size` only while a request head is still incomplete: a head
    that arrives whole in one read (loopback, a busy loop) is accepted at any size. Go's limit is
    absolute, so the size of every request head h11 extracts is checked too.
    """

    last_error: h11.RemoteProtocolError | None = None

    def __init__(self, our_role: type[h11.SERVER], max_head: int) -> None:
        super().__init__(our_role, max_head)
        self.max_head = max_head

    def next_event(self) -> Any:
        try:
            before = len(self._receive_buffer)
            event = super().next_event()
            if isinstance(event, h11.Request) and before - len(self._receive_buffer) > self.max_head:
                raise h11.RemoteProtocolError("Receive buffer too long", error_status_hint=431)
            return event
        except h11.RemoteProtocolError as exc:
            self.last_error = exc
            raise


class LingeringTransport(asyncio.Transport):
    """A transport whose `close()` half-closes, drains the peer's input, then closes (no RST).

    Everything else is delegated. Writes after `close()` are dropped (the answer is complete).
    """

    def __init__(self, inner: asyncio.Transport, linger: float = LINGER_SECONDS) -> None:
        super().__init__()
        self._inner = inner
        self._linger = linger
        self._closing = False
        self._timer: asyncio.TimerHandle | None = None
        #: the peer sent EOF: nothing can arrive to be drained, close as soon as the answer is out
        self.peer_closed = False

    @property
    def lingering(self) -> bool:
        return self._closing

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        inner = self._inner
        if inner.is_closing():
            return
        if self.peer_closed or not inner.can_write_eof():  # (TLS: no half-close) plain close
            inner.close()
            return
        try:
            inner.write_eof()  # FIN once the answer is flushed
        except OSError:  # the peer is already gone
            inner.close()
            return
        inner.resume_reading()
        self._timer = asyncio.get_running_loop().call_later(self._linger, inner.close)

    def connection_lost(self) -> None:
        """The socket is gone (peer closed or linger over): forget the timer."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def is_closing(self) -> bool:
        return self._closing or self._inner.is_closing()

    def abort(self) -> None:
        self.connection_lost()
        self._inner.abort()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._closing:
            self._inner.write(data)

    def writelines(self, list_of_data: Any) -> None:
        if not self._closing:
            self._inner.writelines(list_of_data)

    def write_eof(self) -> None:
        self._inner.write_eof()

    def can_write_eof(self) -> bool:
        return self._inner.can_write_eof()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._inner.get_extra_info(name, default)

    def pause_reading(self) -> None:
        if not self._closing:
            self._inner.pause_reading()

    def resume_reading(self) -> None:
        self._inner.resume_reading()

    def is_reading(self) -> bool:
        return self._inner.is_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._inner.set_write_buffer_limits(high, low)

    def get_write_buffer_size(self) -> int:
        return self._inner.get_write_buffer_size()

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._inner.get_write_buffer_limits()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._inner.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._inner.get_protocol()


class AgentH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with Go's header limit, Go-shaped protocol errors and lingering close."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _Connection(h11.SERVER, self.config.h11_max_incomplete_event_size or MAX_HEADER_BLOCK)
        self._lingering: LingeringTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._lingering = LingeringTransport(transport)
        super().connection_made(self._lingering)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._lingering is not None:
            self._lingering.connection_lost()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._lingering is not None and self._lingering.lingering:
            return  # draining after the answer: discard
        super().data_received(data)

    def _should_upgrade(self) -> bool:
        return False  # like net/http: Upgrade is just a header (and no "install websockets" warning)

    def eof_received(self) -> bool | None:  # type: ignore[override]  # uvicorn says None; asyncio allows bool
        """The client half-closed (sent FIN, still reading). uvicorn returns None here, so asyncio
        closed the socket at once and a request still waiting on EKS Auth never got its answer.

        Now: a request in flight keeps the socket open and is answered, then the socket closes; a
        request cut off mid-header gets 400; otherwise (nothing pending) close now."""
        lingering = self._lingering
        if lingering is None:
            return None
        lingering.peer_closed = True
        if lingering.lingering:
            return None  # the answer is out; nothing more to drain
        if self.cycle is not None and not self.cycle.response_complete:
            return True  # answer first; on_response_complete closes
        pending, _closed = self.conn.trailing_data
        if pending.strip() and self.conn.their_state is h11.IDLE:
            self.send_400_response("incomplete request")
        return None

    def on_response_complete(self) -> None:
        super().on_response_complete()  # may start a pipelined request already received
        lingering = self._lingering
        if (
            lingering is not None
            and lingering.peer_closed
            and (self.cycle is None or self.cycle.response_complete)
            and not self.transport.is_closing()
        ):
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """Answer a request h11 could not parse (called by uvicorn on `h11.RemoteProtocolError`)."""
        error = self.conn.last_error if isinstance(self.conn, _Connection) else None
        status, text = go_error_text(error)
        cycle = self.cycle
        if cycle is not None and cycle.response_started and not cycle.response_complete:
            cycle.keep_alive = False  # the handler's answer is on the wire: finish it, then close
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "?"
        log.info("bad HTTP request from %s: %s", client, text)  # h11's message may quote the token
        if self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            if cycle is not None and not cycle.response_complete:
                cycle.disconnected = True  # this answer replaces the handler's
                cycle.message_event.set()
            self.transport.write(error_bytes(status, text))
        self.transport.close()
