"""ASGI handlers (mirrors `pkg/handlers`): credentials, probes, metrics.

Raw ASGI rather than a framework: the credential path is the agent's hot path and the handlers
need exact control of status, body and headers (text/plain errors written like Go's `http.Error`:
body + newline, `X-Content-Type-Options: nosniff`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx

from podid.agent.cache import CredentialCache
from podid.agent.errors import ThrottledError, error_response
from podid.agent.health import HealthTracker
from podid.agent.metrics import CONTENT_TYPE, AgentMetrics
from podid.agent.ratelimit import TokenBucket
from podid.agent.validation import validate_target_host, validate_token

log = logging.getLogger("podid.agent")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

CREDENTIALS_PATH = "/v1/credentials"


async def _respond(
    send: Send, status: int, body: bytes, content_type: bytes, extra: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def text_error(send: Send, status: int, message: str) -> None:
    """Go `http.Error`: text/plain, message plus newline."""
    await _respond(
        send,
        status,
        (message + "\n").encode(),
        b"text/plain; charset=utf-8",
        [(b"x-content-type-options", b"nosniff")],
    )


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


class CredentialsApp:
    """`/v1/credentials` (any method): rate limit -> Host check -> token checks -> cache -> JSON."""

    def __init__(
        self,
        cache: CredentialCache,
        allowed_hosts: Sequence[str],
        *,
        limiter: TokenBucket | None = None,
        metrics: AgentMetrics | None = None,
        clock: Callable[[], float] = time.time,
        verify_iat: bool = False,
    ) -> None:
        self.cache = cache
        self.allowed_hosts = list(allowed_hosts)
        self.limiter = limiter or TokenBucket(1000, 500)
        self.metrics = metrics or cache.metrics
        self.clock = clock
        self.verify_iat = verify_iat

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"] != CREDENTIALS_PATH:
            await text_error(send, 404, "404 page not found")
            return
        if not self.limiter.allow():
            self.metrics.http_response.inc("429")
            await text_error(send, 429, str(ThrottledError()))
            return
        try:
            validate_target_host(_header(scope, b"host"), self.allowed_hosts)
            token = _header(scope, b"authorization")
            validate_token(token, now=self.clock, verify_iat=self.verify_iat)
            creds = await self.cache.get(token)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an HTTP answer
            message, status = error_response(exc)
            log.info("credentials request from %s failed: %s %s", _client(scope), status, message)
            self.metrics.http_response.inc(str(status))
            await text_error(send, status, message)
            return
        self.metrics.http_response.inc("200")
        await _respond(send, 200, creds.to_json_bytes(), b"application/json")


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "?"


def url_host(host: str) -> str:
    """`::1` -> `[::1]` for URLs and Host headers."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


class ProbeApp:
    """`/healthz`, `/readyz`: GET `/` on every credential listener, expecting 404 (as the Go agent);
    `/status`: the heartbeat document; on the metrics port also `/metrics`."""

    def __init__(
        self,
        targets: Sequence[tuple[str, int]],
        health: HealthTracker,
        *,
        metrics: AgentMetrics | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.targets = list(targets)
        self.health = health
        self.metrics = metrics
        self.timeout = timeout

    async def probe(self) -> str | None:
        """None when every listener answered 404 on `/`, else the first failure."""
        async with httpx.AsyncClient(timeout=self.timeout, trust_env=False) as client:
            for host, port in self.targets:
                try:
                    response = await client.get(f"http://{url_host(host)}:{port}/")
                except httpx.TimeoutException:
                    return f"timeout probing {url_host(host)}:{port}"
                except httpx.HTTPError as exc:
                    return f"{url_host(host)}:{port}: {exc}"
                if response.status_code != 404:
                    return f"unexpected status code recieved, expected 404, got {response.status_code}"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path in ("/healthz", "/readyz"):
            error = await self.probe()
            self.health.observe_probe(error)
            if error is None:
                await _respond(send, 200, b"", b"text/plain; charset=utf-8")
            elif error.startswith("timeout"):
                await _respond(send, 408, b"", b"text/plain; charset=utf-8")
            else:
                log.error("InternalServerError: %s", error)
                await _respond(send, 500, b"Internal Server Error occurred", b"text/plain; charset=utf-8")
        elif path == "/status":
            body = json.dumps(self.health.status().to_json()).encode()
            await _respond(send, 200, body, b"application/json")
        elif path == "/metrics" and self.metrics is not None:
            await _respond(send, 200, self.metrics.registry.render().encode(), CONTENT_TYPE.encode())
        else:
            await text_error(send, 404, "404 page not found")
