"""Starlette routes serving an issuer's discovery document and JWKS.

* :func:`issuer_routes` - one issuer at the path of its URL (``<path>/.well-known/...``, ``<path>/keys``).
* :func:`cluster_routes` - many clusters under one templated prefix (default
  ``/clusters/{cluster}/oidc``), resolved per request; unknown clusters get 404.

Endpoints are sync functions (Starlette runs them in its thread pool), so resolvers may do
blocking store lookups. Responses are ``application/json`` with ``Cache-Control: public,
max-age=3600`` like kube-apiserver's; verifiers refresh on an unknown ``kid`` after a rotation.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from podid.oidc.discovery import DISCOVERY_PATH, KEYS_SUFFIX, discovery_document, issuer_path
from podid.oidc.keys import IssuerKeys

CACHE_CONTROL = "public, max-age=3600"
IssuerResolver = Callable[[str], "tuple[str, IssuerKeys] | None"]


def _json(doc: object) -> Response:
    return JSONResponse(doc, headers={"Cache-Control": CACHE_CONTROL})


def _not_found() -> Response:
    return JSONResponse({"message": "Not Found"}, status_code=404)


def issuer_routes(
    issuer: str, keys: Callable[[], IssuerKeys], *, clock: Callable[[], float] = time.time
) -> list[Route]:
    """Routes for one issuer; ``keys`` is called per request (so rotation is picked up)."""
    path = issuer_path(issuer)

    def discovery(request: Request) -> Response:
        return _json(discovery_document(issuer))

    def jwks(request: Request) -> Response:
        return _json(keys().jwks(int(clock())))

    return [
        Route(path + DISCOVERY_PATH, discovery, methods=["GET"], name=f"oidc-discovery:{path}"),
        Route(path + KEYS_SUFFIX, jwks, methods=["GET"], name=f"oidc-jwks:{path}"),
    ]


def cluster_routes(
    resolve: IssuerResolver,
    prefix: str = "/clusters/{cluster}/oidc",
    *,
    clock: Callable[[], float] = time.time,
) -> list[Route]:
    """Routes for every cluster: ``resolve(cluster)`` returns ``(issuer, keys)`` or None (404)."""

    def discovery(request: Request) -> Response:
        found = resolve(request.path_params["cluster"])
        return _json(discovery_document(found[0])) if found else _not_found()

    def jwks(request: Request) -> Response:
        found = resolve(request.path_params["cluster"])
        return _json(found[1].jwks(int(clock()))) if found else _not_found()

    prefix = prefix.rstrip("/")
    return [
        Route(prefix + DISCOVERY_PATH, discovery, methods=["GET"], name="oidc-discovery"),
        Route(prefix + KEYS_SUFFIX, jwks, methods=["GET"], name="oidc-jwks"),
    ]
