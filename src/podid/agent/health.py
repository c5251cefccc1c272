"""Agent health and the heartbeat reported to the add-on status (ACTIVE / DEGRADED).

`HealthTracker` folds what the agent observes (listeners it could not bind, upstream outcomes,
self-probe results) into an `AgentStatus`. A `Heartbeat` is any callable taking that status; the
agent calls it every `interval` seconds from a worker thread, and once more with `STOPPED` on
shutdown. `HttpHeartbeat` POSTs the status as JSON, optionally SigV4-signed with the node's
credentials, for podid's EKS side to turn into the add-on's `status` / `health`.

Mapping suggested to the consumer: `HEALTHY` -> ACTIVE; `DEGRADED` or `STOPPED` or no heartbeat
for 3 intervals -> DEGRADED (with `reasons` as the health issue text).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Literal

import httpx

from podid.agent.errors import UpstreamError

log = logging.getLogger("podid.agent")

Status = Literal["HEALTHY", "DEGRADED", "STOPPED"]
#: consecutive server-side/unreachable upstream failures after which the agent reports DEGRADED
UPSTREAM_FAILURES_DEGRADED = 3


@dataclass(frozen=True)
class AgentStatus:
    """One heartbeat. JSON keys are the field names (camelCase via `to_json`)."""

    status: Status
    cluster_name: str
    node_name: str
    agent_id: str
    listening: tuple[str, ...]
    skipped: tuple[str, ...]
    cache_entries: int
    consecutive_upstream_failures: int
    last_upstream_success: float | None
    last_upstream_error: str | None
    reasons: tuple[str, ...]
    timestamp: float
    version: str = "podid-agent/0.1.0"

    def to_json(self) -> dict[str, object]:
        """camelCase JSON object."""
        out: dict[str, object] = {}
        for key, value in asdict(self).items():
            head, *rest = key.split("_")
            out[head + "".join(p.title() for p in rest)] = list(value) if isinstance(value, tuple) else value
        return out


#: The heartbeat interface: called with the current status; may block (runs in a thread).
Heartbeat = Callable[[AgentStatus], None]


@dataclass
class HealthTracker:
    """Thread-safe accumulation of health signals."""

    cluster_name: str
    node_name: str = field(default_factory=lambda: os.environ.get("NODE_NAME") or socket.gethostname())
    agent_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    listening: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    #: skipped listeners that make the agent DEGRADED (the link-local ones pods are pointed at)
    required_skipped: tuple[str, ...] = ()
    cache_size: Callable[[], int] = lambda: 0
    _failures: int = 0
    _last_ok: float | None = None
    _last_error: str | None = None
    _probe_error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def observe_upstream(self, exc: BaseException | None) -> None:
        """Record one upstream outcome. Client faults (bad pod token, no association) are the pod's
        problem, not the agent's: they reset nothing and count nothing."""
        with self._lock:
            if exc is None:
                self._failures, self._last_ok = 0, time.time()
            elif (
                isinstance(exc, UpstreamError) and exc.fault == "client" and exc.code != "ThrottlingException"
            ):
                return
            else:
                self._failures += 1
                self._last_error = str(exc)[:500]

    def observe_probe(self, error: str | None) -> None:
        """Record the latest self-probe result (None = every listener answered)."""
        with self._lock:
            self._probe_error = error

    def status(self, *, stopped: bool = False) -> AgentStatus:
        """The current `AgentStatus`."""
        with self._lock:
            reasons: list[str] = []
            if self.required_skipped:
                reasons.append("could not bind " + ", ".join(self.required_skipped))
            if not self.listening:
                reasons.append("no credential listener")
            if self._failures >= UPSTREAM_FAILURES_DEGRADED:
                reasons.append(f"EKS Auth failed {self._failures} times in a row: {self._last_error}")
            if self._probe_error:
                reasons.append(f"self-probe failed: {self._probe_error}")
            state: Status = "STOPPED" if stopped else ("DEGRADED" if reasons else "HEALTHY")
            return AgentStatus(
                status=state,
                cluster_name=self.cluster_name,
                node_name=self.node_name,
                agent_id=self.agent_id,
                listening=self.listening,
                skipped=self.skipped,
                cache_entries=self.cache_size(),
                consecutive_upstream_failures=self._failures,
                last_upstream_success=self._last_ok,
                last_upstream_error=self._last_error,
                reasons=tuple(reasons),
                timestamp=time.time(),
            )


class HttpHeartbeat:
    """POST the status as JSON to `url`; SigV4-signed (service `eks`) when a botocore session is given."""

    def __init__(
        self, url: str, *, region: str | None = None, sign_with: object | None = None, timeout: float = 2.0
    ) -> None:
        self.url, self.region, self.timeout = url, region, timeout
        self._session = sign_with  # a boto3.Session / botocore session exposing get_credentials()

    def _headers(self, body: bytes) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self._session is None:
            return headers
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        creds = self._session.get_credentials()  # type: ignore[attr-defined]
        if creds is None:
            return headers
        request = AWSRequest(method="POST", url=self.url, data=body, headers=headers)
        SigV4Auth(creds.get_frozen_credentials(), "eks", self.region or "us-east-1").add_auth(request)
        return dict(request.headers.items())

    def __call__(self, status: AgentStatus) -> None:
        body = json.dumps(status.to_json()).encode()
        response = httpx.post(self.url, content=body, headers=self._headers(body), timeout=self.timeout)
        if response.status_code >= 300:
            log.warning("heartbeat to %s answered %s", self.url, response.status_code)
