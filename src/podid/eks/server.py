"""`podid up` integration: the EKS service in ``AppState.extras["eks"]``, OIDC issuer routes,
the agent heartbeat endpoint, and ``podid up --cluster NAME``.

* :func:`install` adds EKS's routes to the app state (called by :mod:`podid.compose`).
* Issuer documents: ``GET /clusters/{name}/oidc/id/{ID}/.well-known/openid-configuration`` and
  ``.../keys`` through :func:`podid.oidc.cluster_routes` (resolved by the 32-hex issuer id).
* Heartbeats: ``POST /_podid/eks/clusters/{name}/agent-heartbeat`` with
  :class:`podid.agent.health.AgentStatus` JSON, SigV4-signed (any service name; the agent signs
  as ``eks``). The signer must be allowed ``eks-auth:AssumeRoleForPodIdentity`` on the cluster
  ARN - the permission a node agent has anyway. Answers 204, or 400/403/404 with a JSON message.
* :func:`ensure_clusters` creates the clusters named by ``podid up --cluster`` (idempotent).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from podid.eks import addons, ids
from podid.eks.repo import ClusterRecord
from podid.eks.service import EksService
from podid.errors import ServiceError
from podid.gateway.app import wire_request

log = logging.getLogger("podid.eks")

EXTRA_KEY = "eks"
HEARTBEAT_PATH = "/_podid/eks/clusters/{name}/agent-heartbeat"
OIDC_PREFIX = "/clusters/{name}/oidc/id/{cluster}"   # cluster_routes resolves "{cluster}" = the issuer id
MAX_HEARTBEAT_BYTES = 64 * 1024
HEARTBEAT_INVALID = "InvalidHeartbeat"


def service_for(state: Any) -> EksService:
    """The :class:`EksService` of ``state`` (an AppState), created on first use."""
    svc = state.extras.get(EXTRA_KEY)
    if svc is None:
        svc = state.extras.setdefault(EXTRA_KEY, EksService.from_state(state))
    return svc  # type: ignore[no-any-return]


def install(state: Any) -> None:
    """Add the clusters' issuer routes and the agent heartbeat endpoint (:mod:`podid.compose`)."""
    from podid.oidc import cluster_routes

    svc = service_for(state)
    state.routes.extend(cluster_routes(svc.resolve_issuer, OIDC_PREFIX))
    state.routes.append(Route(HEARTBEAT_PATH, _heartbeat_endpoint(state), methods=["POST"],
                              name="eks-agent-heartbeat"))


def ensure_clusters(state: Any, names: Iterable[str]) -> list[ClusterRecord]:
    """Create every named cluster that does not exist yet (``podid up --cluster NAME``)."""
    svc = service_for(state)
    return [svc.ensure_cluster(name) for name in names]


def _json(status: int, message: str) -> Response:
    return JSONResponse({"message": message}, status_code=status)


def _heartbeat_endpoint(state: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_HEARTBEAT_BYTES:
            return _json(413, "heartbeat too large")
        return await run_in_threadpool(handle_heartbeat, state, request, body)

    return endpoint


def _refusal(exc: ServiceError) -> Response:
    """A refused heartbeat: 403 for authentication and authorization, else the error's status."""
    return _json(exc.status if exc.status != 400 or exc.code == HEARTBEAT_INVALID else 403, exc.message)


def handle_heartbeat(state: Any, request: Request, body: bytes) -> Response:
    """Authenticate, authorize and record one agent heartbeat through the gateway (audited as
    ``eks-auth:PodIdentityAgentHeartbeat``)."""
    name = request.path_params["name"]
    svc = service_for(state)

    def record(ctx: Any) -> Response:
        ctx.authorize("eks-auth:AssumeRoleForPodIdentity", ids.cluster_arn(ctx.region, svc.account_id, name))
        cluster = svc.cluster(ctx.region, name)
        try:
            doc = json.loads(body)
        except ValueError:
            raise ServiceError(HEARTBEAT_INVALID, "heartbeat body is not JSON", 400) from None
        parsed = addons.parse_heartbeat(doc) if isinstance(doc, dict) else None
        if parsed is None:
            raise ServiceError(HEARTBEAT_INVALID, "heartbeat is not an AgentStatus document", 400)
        if doc.get("clusterName") not in (None, name):
            raise ServiceError(HEARTBEAT_INVALID, "heartbeat clusterName does not match the URL", 400)
        node, agent, status, reasons = parsed
        svc.repo.record_heartbeat(cluster.pk, node_name=node, agent_id=agent, status=status, reasons=reasons)
        return Response(status_code=204)

    gateway = request.app.state.gateway
    return gateway.handle_endpoint(  # type: ignore[no-any-return]
        wire_request(request, body), service="eks-auth", operation="PodIdentityAgentHeartbeat",
        params={"clusterName": name}, fn=record, error_response=_refusal)
