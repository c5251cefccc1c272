"""Embedded moto backend: forward an authorized raw HTTP request to moto in-process.

The gateway has already authenticated and authorized the call; this module only rewrites the
request so moto routes it (host, S3 virtual-host -> path style, account header), dispatches it
to moto's own response handlers without any HTTP hop or Flask (moto's auth stays off: its
``INITIAL_NO_AUTH_ACTION_COUNT`` default is infinite, and moto never verifies SigV4), and hands
back status, headers and body unchanged. State lives in moto's module-level backends and is made
durable by :mod:`podid.dataplane.persist`.

moto's backends are process-global, so one :class:`Backend` per process is the supported shape
(a second instance with the same state dir replaces the first one's state: that is a restart).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podid.dataplane import longpoll
from podid.dataplane.persist import Durability, Persister
from podid.dataplane.services import SERVICES, moto_name
from podid.dataplane.sqs import parse_queue_url
from podid.protocol.wire import s3_path_style

DEFAULT_ACCOUNT_ID = "111122223333"
DEFAULT_REGION = "us-east-1"

#: Operations (by botocore name) that never change state; anything else marks the service dirty.
_READ_PREFIXES = ("Get", "List", "Describe", "Head", "Query", "Scan", "BatchGet", "Filter", "Select")
_READ_OPERATIONS = frozenset({"Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
                              "GenerateRandom", "ReEncrypt", "Sign", "Verify", "GenerateMac", "VerifyMac",
                              "StartQuery", "TestMetricFilter"})

_HOP_HEADERS = frozenset({"host", "transfer-encoding", "connection", "keep-alive", "x-moto-account-id",
                          "content-length"})

@dataclass
class RawRequest:
    """One HTTP request as received by the gateway (path undecoded, query without '?')."""

    method: str
    path: str
    query: str = ""
    headers: Iterable[tuple[str, str]] | Mapping[str, str] = ()
    body: bytes = b""


@dataclass
class RawResponse:
    """moto's answer, passed back to the client unchanged."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """First value of header ``name`` (case-insensitive), or None."""
        low = name.lower()
        return next((v for k, v in self.headers if k.lower() == low), None)


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes | bytearray) else str(value)


def _header_items(headers: Iterable[tuple[Any, Any]] | Mapping[Any, Any]) -> list[tuple[str, str]]:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return [(_text(k), _text(v)) for k, v in pairs]


def is_mutating(operation: str | None, method: str) -> bool:
    """Whether a call may change backend state (drives persistence)."""
    if operation:
        if operation in _READ_OPERATIONS:
            return False
        return not operation.startswith(_READ_PREFIXES)
    return method.upper() not in ("GET", "HEAD", "OPTIONS")


Route = tuple["re.Pattern[str]", Callable[..., Any]]


class Backend:
    """moto as podid's storage engine, with state persisted under ``state_dir``."""

    def __init__(self, state_dir: str | Path, account_id: str = DEFAULT_ACCOUNT_ID,
                 region: str = DEFAULT_REGION, *, durability: Durability = "sync",
                 flush_delay: float = 0.05) -> None:
        import moto.backends  # noqa: F401  (heavy import; done once here)

        _neutralise_moto_authorization()

        self.account_id = account_id
        self.region = region
        self.state_dir = Path(state_dir)
        self._routes: dict[str, list[Route]] = {}
        self._locks = {svc: threading.RLock() for svc in SERVICES}
        self.persister = Persister(self.state_dir / "moto", self._locks, durability=durability,
                                   flush_delay=flush_delay)
        self.persister.load()

    # -- dispatch -------------------------------------------------------------------------------
    def _routes_for(self, service: str) -> list[Route]:
        routes = self._routes.get(service)
        if routes is None:
            import moto.backends as backends
            from moto.core.base_backend import BackendDict

            bd = backends.get_backend(moto_name(service))  # type: ignore[call-overload]
            acct = bd[self.account_id] if isinstance(bd, BackendDict) else bd
            inst = acct["us-east-1"] if "us-east-1" in acct else acct["aws"]
            routes = [(re.compile(url), fn) for url, fn in inst.urls.items()]
            self._routes[service] = routes
        return routes

    def _host(self, service: str, region: str) -> str:
        if service == "s3":
            return f"s3.{region}.amazonaws.com"
        name = "monitoring" if service in ("monitoring", "cloudwatch") else service
        return f"{name}.{region}.amazonaws.com"

    def forward(self, service: str, request: RawRequest, *, operation: str | None = None,
                region: str | None = None, params: Mapping[str, Any] | None = None) -> RawResponse:
        """Dispatch ``request`` to moto's ``service`` handlers; ``operation`` (botocore name) if known.

        ``service`` is the SigV4 scope name (s3, secretsmanager, sqs, dynamodb, kms, monitoring, logs).
        ``params``: the call's parameters as the caller parsed them (botocore input shape), so a
        change to one S3 object/upload or DynamoDB item can be journaled instead of snapshotting,
        and an SQS long poll can wait outside the lock (:mod:`podid.dataplane.longpoll`).
        """
        if service not in SERVICES:
            raise ValueError(f"unsupported data-plane service: {service}")
        region = region or self.region
        if service == "sqs" and operation == "ReceiveMessage" and params is not None:
            queue = self._sqs_queue(params, region)
            # an empty answer changed nothing worth a snapshot, unless moto moved messages to a DLQ
            quiet = queue is not None and not getattr(queue, "redrive_policy", None)
            wait = longpoll.requested_wait(
                params, lambda: getattr(queue, "receive_message_wait_time_seconds", 0))
            if wait and queue is not None:
                now = longpoll.immediate(request)
                return longpoll.poll(lambda: self._forward_once(
                    service, now, operation, region, params, quiet_when_empty=quiet), wait)
            return self._forward_once(service, request, operation, region, params, quiet_when_empty=quiet)
        return self._forward_once(service, request, operation, region, params)

    def _sqs_queue(self, params: Mapping[str, Any], region: str) -> Any:
        url = params.get("QueueUrl")
        if not isinstance(url, str):
            return None
        return self.service_backend("sqs", region).queues.get(parse_queue_url(url, self.account_id)[1])

    def _forward_once(self, service: str, request: RawRequest, operation: str | None, region: str,
                      params: Mapping[str, Any] | None, *, quiet_when_empty: bool = False) -> RawResponse:
        """One dispatch to moto under the service lock, then the change made durable."""
        from moto.core.exceptions import HTTPException
        from moto.core.request import Request

        items = _header_items(request.headers)
        client_host = next((v for k, v in items if k.lower() == "host"), None)
        path = request.path or "/"
        if service == "s3":
            path = s3_path_style(client_host, path)
        host = self._host(service, region)
        headers = [(k, v) for k, v in items if k.lower() not in _HOP_HEADERS]
        clean = f"https://{host}{path}"
        base = f"https://{host}"
        if service == "sqs" and client_host:
            # moto builds QueueUrl from the request URL: keep the client's (podid's) address
            scheme = next((v for k, v in items if k.lower() == "x-forwarded-proto"), "http")
            host, base = client_host, f"{scheme}://{client_host}"
        headers += [("Host", host), ("x-moto-account-id", self.account_id)]
        if not any(k.lower() == "authorization" for k, _ in headers):
            # anonymous and presigned calls were authorized by podid already; moto must not apply
            # its own anonymous-access or presigned-URL checks, so it always sees a signed call
            headers.append(("Authorization", _backend_authorization(region, service)))
        url = f"{base}{path}" + (f"?{request.query}" if request.query else "")
        body = request.body or b""
        handler = next((fn for pattern, fn in self._routes_for(service) if pattern.match(clean)), None)
        if handler is None:
            return RawResponse(404, [("Content-Type", "text/plain")], b"Not found in backend")
        req = Request.from_primitives(request.method.upper(), url, dict(headers), body)
        req.environ["RAW_URI"] = path + (f"?{request.query}" if request.query else "")
        # preserve repeated headers / exact names where werkzeug merged them
        mutating = is_mutating(operation, request.method)
        record = None
        with self._locks[service]:
            watch = None
            if mutating and params is not None and operation:
                watch = self.persister.watch(service, self.account_id, region, operation, params)
            try:
                status, out_headers, out_body = handler(req, req.raw_url, req.headers)
            except HTTPException as exc:
                status = exc.code or 500
                out_headers = exc.get_headers()
                out_body = exc.get_body()
            body_out = _bytes(out_body)
            changed = mutating and status < 400
            if changed and quiet_when_empty and not longpoll.has_messages(body_out):
                changed = False
            if changed and watch is not None:
                record = self.persister.capture(service, watch)
            if changed and record is None:
                self.persister.mark_dirty(service)
        if record is not None:
            self.persister.append(service, record)
        elif changed:
            self.persister.commit(service)
        return RawResponse(int(status), _response_headers(out_headers, out_body), body_out)

    # -- lookups for podid.dataplane.kit.Lookup ----------------------------------------------------
    def service_backend(self, service: str, region: str | None = None) -> Any:
        """moto's backend object for ``service`` in podid's account and ``region``."""
        import moto.backends as backends

        bd = backends.get_backend(moto_name(service))  # type: ignore[call-overload]
        region = region or self.region
        if service == "s3":
            region = "aws"
        return bd[self.account_id][region]

    def locked(self, service: str) -> threading.RLock:
        """The lock serialising access to one service's moto state."""
        return self._locks[service]

    def close(self) -> None:
        """Flush pending state and stop the background flusher."""
        self.persister.close()


def _backend_authorization(region: str, service: str) -> str:
    return (f"AWS4-HMAC-SHA256 Credential=PODIDBACKEND/20000101/{region}/{service}/aws4_request, "
            "SignedHeaders=host, Signature=0")


_patched = False


def _neutralise_moto_authorization() -> None:
    """Make moto a pure store: podid's judge has already evaluated bucket policies.

    moto's S3 object handler applies bucket-policy Deny statements itself (ignoring conditions, so
    the common "Deny unless aws:SecureTransport" policy would block everything). Patched once per
    process; moto's own IAM auth stays off (INITIAL_NO_AUTH_ACTION_COUNT is infinite).
    """
    global _patched
    if _patched:
        return
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: Any, action: str, resource: str) -> Any:
        return PermissionResult.NEUTRAL

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
    _patched = True


def _bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytearray | memoryview):
        return bytes(body)
    if hasattr(body, "read"):
        return bytes(body.read())
    return b"".join(_bytes(chunk) for chunk in body)


def _response_headers(headers: Any, body: Any) -> list[tuple[str, str]]:
    if headers is None:
        return []
    if hasattr(headers, "items"):
        pairs = [(str(k), str(v)) for k, v in headers.items()]
    else:
        pairs = [(str(k), str(v)) for k, v in headers]
    # moto puts status in headers sometimes; drop the pseudo header
    return [(k, v) for k, v in pairs if k.lower() != "status"]
