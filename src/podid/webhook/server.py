"""The standalone webhook's ASGI app (``podid webhook``): the AdmissionReview endpoint of
:func:`podid.webhook.admission_routes` plus probes and Prometheus metrics.

``POST /mutate``; ``GET /healthz`` and ``/readyz`` (200 while the process serves: a cluster or EKS
outage shows as 500s on ``/mutate`` and in the metrics, not as an unready pod, so the Service keeps
its endpoints and ``failurePolicy`` decides); ``GET /metrics``:
``podid_webhook_admissions_total{outcome=...}`` with outcomes ``patched``, ``allowed``, ``skipped``,
``ignored``, ``bad_request``, ``unsupported_media_type``, ``error``. TLS is the server's business
(uvicorn ``ssl_*``, see :mod:`podid.cli.webhook`).
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from podid.agent.metrics import CONTENT_TYPE, Counter, Registry
from podid.webhook.admission import AdmissionResolver, admission_routes
from podid.webhook.config import WebhookConfig


class WebhookMetrics:
    """The webhook's metric set."""

    def __init__(self) -> None:
        self.registry = Registry()
        self.admissions: Counter = self.registry.counter(
            "podid_webhook_admissions_total", "AdmissionReview requests answered, by outcome", ("outcome",))

    def observe(self, outcome: str) -> None:
        self.admissions.inc(outcome)


def build_webhook_app(resolver: AdmissionResolver, config: WebhookConfig, *,
                      skip_namespaces: Collection[str] = ("kube-system",),
                      metrics: WebhookMetrics | None = None, path: str = "/mutate") -> Starlette:
    """The ASGI app of ``podid webhook``."""
    metrics = metrics or WebhookMetrics()

    async def ready(_: Request) -> Response:
        return PlainTextResponse("ok")

    async def prometheus(_: Request) -> Response:
        return PlainTextResponse(metrics.registry.render(), media_type=CONTENT_TYPE)

    routes = admission_routes(resolver, config, path, skip_namespaces=frozenset(skip_namespaces),
                              observe=metrics.observe)
    app = Starlette(routes=[*routes, Route("/readyz", ready, methods=["GET"]),
                            Route("/metrics", prometheus, methods=["GET"])])
    app.state.metrics = metrics
    return app
