"""The broker's HTTP surface: EKS Auth's REST-JSON wire (parsed and serialised by
:mod:`podid.protocol` from botocore's ``eks-auth`` model), probes and Prometheus metrics.

``POST /clusters/{clusterName}/assume-role-for-pod-identity`` is the one operation; anything else
gets the protocol's own unknown-operation error. Errors carry EKS Auth's codes, statuses and
``x-amzn-ErrorType``; an unexpected exception is an InternalServerException whose log line names
only the exception type (the request holds a token). ``/healthz`` and ``/readyz`` answer 200 while
the process serves; ``/metrics`` counts requests per outcome code.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from podid.broker.service import Broker
from podid.eks import ids
from podid.eksauth import errors as eks_errors
from podid.errors import ServiceError
from podid.gateway.app import wire_request
from podid.protocol import parse, serialize_error, serialize_result

log = logging.getLogger("podid.broker")
SERVICE = "eks-auth"
OPERATION = "AssumeRoleForPodIdentity"


class BrokerMetrics:
    """``podid_broker_requests_total{code=...}`` (code ``OK`` for successes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()

    def count(self, code: str) -> None:
        with self._lock:
            self.requests[code] += 1

    def render(self) -> str:
        with self._lock:
            items = sorted(self.requests.items())
        lines = ["# HELP podid_broker_requests_total AssumeRoleForPodIdentity requests by outcome.",
                 "# TYPE podid_broker_requests_total counter"]
        lines += [f'podid_broker_requests_total{{code="{code}"}} {n}' for code, n in items]
        return "\n".join(lines) + "\n"


def build_broker_app(broker: Broker, metrics: BrokerMetrics | None = None) -> Starlette:
    """The ASGI app serving ``broker``."""
    metrics = metrics or BrokerMetrics()

    async def eks_auth(request: Request) -> Response:
        wire = wire_request(request, await request.body())
        request_id = str(uuid.uuid4())
        operation: str | None = None
        try:
            operation, params = parse(SERVICE, wire)
            if operation != OPERATION:
                raise eks_errors.invalid_request(f"Operation {operation} is not served by this broker")
            name = params.get("clusterName")
            if not isinstance(name, str) or not ids.CLUSTER_NAME.fullmatch(name):
                raise eks_errors.invalid_parameter(
                    "clusterName must satisfy the pattern [0-9A-Za-z][A-Za-z0-9\\-_]* (1 to 100 characters)")
            result = await run_in_threadpool(broker.assume_role_for_pod_identity, name, params.get("token"))
        except ServiceError as exc:
            metrics.count(exc.code)
            return serialize_error(SERVICE, operation, exc, wire, request_id)
        except Exception as exc:  # noqa: BLE001 - answer, never leak a traceback with the token
            log.error("AssumeRoleForPodIdentity failed: %s", type(exc).__name__)
            metrics.count("InternalServerException")
            return serialize_error(SERVICE, operation, eks_errors.internal_server("Internal error"), wire,
                                   request_id)
        metrics.count("OK")
        return serialize_result(SERVICE, operation, result, wire, request_id)

    async def health(_: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def prometheus(_: Request) -> Response:
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]
    app = Starlette(routes=[
        Route("/healthz", health, methods=["GET"]),
        Route("/readyz", health, methods=["GET"]),
        Route("/metrics", prometheus, methods=["GET"]),
        Route("/{path:path}", eks_auth, methods=methods),
    ])
    app.state.metrics = metrics
    return app
