"""The gateway: one Starlette app; route by SigV4 scope -> authenticate -> parse -> handler -> serialise.

Every request gets a request id and one audit event. Handlers run in Starlette's thread pool (they
may block on the store). Non-AWS endpoints (OIDC discovery, later EKS/agent/Kubernetes APIs) are
Starlette routes placed before the AWS catch-all: :attr:`AppState.routes`.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.convertors import PathConvertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from podid.auth import signature
from podid.auth.authenticate import Authenticator
from podid.auth.caller import Caller
from podid.auth.errors import AuthError, to_service_error
from podid.errors import ServiceError
from podid.gateway import registry
from podid.gateway.audit import make_event
from podid.gateway.context import CallContext
from podid.gateway.routing import route
from podid.gateway.state import AppState
from podid.protocol import (
    UnknownService,
    WireRequest,
    parse,
    request_protocol,
    serialize_error,
    serialize_result,
)

log = logging.getLogger("podid.gateway")
#: worker threads for AWS calls (long polls hold one each while they wait)
GATEWAY_THREADS = 256

HEALTH_PATH = "/_podid/health"


class AnyPathConvertor(PathConvertor):
    """Starlette's ``path`` convertor, line feeds included: an S3 key may hold any character, and
    ``.*`` alone stops at a newline (the request would fall through to a bare 404)."""

    regex = "[\\s\\S]*"


register_url_convertor("anypath", AnyPathConvertor())

_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]


def _wire(request: Request, body: bytes) -> WireRequest:
    scope = request.scope
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else scope["path"]
    path = path.split("?", 1)[0]
    return WireRequest(
        method=request.method,
        raw_path=path,
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
        body=body,
        scheme=scope.get("scheme", "http"),
        client_ip=request.client.host if request.client else "",
    )


class Gateway:
    """Request handling for the AWS catch-all route (sync; called in a worker thread)."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self.authenticator = Authenticator(state.store, state.tokens)

    def handle(self, wire: WireRequest) -> Response:
        one_generation = getattr(self.state.store, "one_generation", None)
        if one_generation is None:
            return self._handle(wire)
        with one_generation():
            return self._handle(wire)

    def _handle(self, wire: WireRequest) -> Response:
        request_id = str(uuid.uuid4())
        config = self.state.config
        service = route(wire)
        try:
            protocol = request_protocol(service, wire)
        except UnknownService:
            message = f"podid does not know the AWS service {service!r}"
            return JSONResponse({"__type": "UnknownService", "message": message}, status_code=400,
                                headers={"x-amzn-RequestId": request_id})
        caller: Caller | None = None
        operation: str | None = None
        params: dict[str, Any] | None = None
        parts: signature.Signed | None = None
        ctx: CallContext | None = None
        decision, error = "not_evaluated", None
        try:
            try:
                parts = signature.extract(wire)
                if parts is None:
                    try:
                        operation, params = parse(service, wire)
                    except ServiceError as exc:
                        raise AuthError("missing", "Request is missing Authentication Token") from exc
                    if not registry.is_anonymous_allowed(service, operation):
                        raise AuthError("missing", "Request is missing Authentication Token")
                    caller = Caller.anonymous(config.account_id)
                else:
                    caller = self.authenticator.authenticate(wire, parts, s3=service == "s3")
            except AuthError as exc:
                decision = "authentication_failed"
                raise to_service_error(exc, service, protocol) from exc
            if operation is None:
                operation, params = parse(service, wire)
            ctx = CallContext(
                service=service, operation=operation, params=params or {}, caller=caller,
                region=(parts.region if parts else "") or config.region, request_id=request_id,
                source_ip=wire.client_ip, app=self.state, secure_transport=wire.scheme == "https",
                user_agent=wire.header("user-agent") or "",
            )
            response = self._dispatch(ctx, wire, protocol)
            decision = _decision(ctx, decision)
        except ServiceError as exc:
            error = exc
        except Exception:
            log.exception("internal error in %s:%s (request %s)", service, operation, request_id)
            error = ServiceError("InternalFailure", "The request processing has failed because of an unknown "
                                 "error, exception or failure.", 500, sender_fault=False)
        if error is not None:
            decision = _error_decision(ctx, decision)
            prebuilt = getattr(error, "response", None)  # a service-shaped error built by a forwarder
            response = prebuilt if isinstance(prebuilt, Response) else \
                serialize_error(service, operation, error, wire, request_id)
        deciding = ctx.decisions[-1].deciding if ctx is not None and ctx.decisions else None
        if ctx is not None and ctx.decisions and "authorizations" not in ctx.audit_extra:
            ctx.audit_extra["authorizations"] = [
                {"action": d.action, "resource": d.resource, "context": {}, "decision": d.outcome}
                for d in ctx.decisions]
        self._audit(service, operation, wire, parts, caller, params, request_id, error, decision, deciding,
                    ctx.audit_extra if ctx is not None else None)
        return response

    def handle_endpoint(self, wire: WireRequest, *, service: str, operation: str, params: dict[str, Any],
                        fn: Callable[[CallContext], Response],
                        error_response: Callable[[ServiceError], Response]) -> Response:
        """A podid endpoint outside the AWS wire APIs (the add-on agent's heartbeat): the same SigV4
        authentication, :class:`CallContext` (so ``ctx.authorize`` judges it) and audit event as an
        AWS call; only the body format is the endpoint's own (``fn`` parses it, ``error_response``
        shapes a refusal). SigV4 is required: there is no anonymous caller here."""
        request_id = str(uuid.uuid4())
        config = self.state.config
        parts = signature.extract(wire)
        caller: Caller | None = None
        ctx: CallContext | None = None
        decision, error = "not_evaluated", None
        try:
            if parts is None:
                decision = "authentication_failed"
                raise ServiceError("MissingAuthenticationToken", "Request is missing Authentication Token",
                                   403)
            try:
                caller = self.authenticator.authenticate(wire, parts)
            except AuthError as exc:
                decision = "authentication_failed"
                raise to_service_error(exc, service, "rest-json") from exc
            ctx = CallContext(service=service, operation=operation, params=params, caller=caller,
                              region=parts.region or config.region, request_id=request_id,
                              source_ip=wire.client_ip, app=self.state,
                              secure_transport=wire.scheme == "https",
                              user_agent=wire.header("user-agent") or "")
            response = fn(ctx)
            decision = _decision(ctx, decision)
        except ServiceError as exc:
            error = exc
            decision = _error_decision(ctx, decision)
            response = error_response(exc)
        deciding = ctx.decisions[-1].deciding if ctx is not None and ctx.decisions else None
        self._audit(service, operation, wire, parts, caller, params, request_id, error, decision, deciding)
        return response

    def _dispatch(self, ctx: CallContext, wire: WireRequest, protocol: str) -> Response:
        fn = registry.get_handler(ctx.service, ctx.operation)
        if fn is not None:
            result = fn(ctx)
            return serialize_result(ctx.service, ctx.operation, result or {}, wire, ctx.request_id)
        forwarder = registry.get_forwarder(ctx.service)
        if forwarder is not None:
            return forwarder(ctx, wire)
        if not registry.serves(ctx.service):
            raise ServiceError("NotImplemented", f"podid does not implement the {ctx.service} API", 501)
        raise ServiceError("NotImplemented", f"podid does not implement {ctx.service}:{ctx.operation}", 501)

    def _audit(self, service: str, operation: str | None, wire: WireRequest, parts: signature.Signed | None,
               caller: Caller | None, params: dict[str, Any] | None, request_id: str,
               error: ServiceError | None, decision: str, deciding: str | None,
               extra: dict[str, Any] | None = None) -> None:
        config = self.state.config
        try:
            event = make_event(
                service=service, operation=operation, region=(parts.region if parts else "") or config.region,
                caller=caller, access_key_id=parts.access_key_id if parts else None, source_ip=wire.client_ip,
                user_agent=wire.header("user-agent") or "", params=params, request_id=request_id,
                account=config.account_id, error_code=error.code if error else None,
                error_message=error.message if error else None,
                decision="unauthenticated" if caller is not None and caller.kind == "anonymous"
                and decision == "not_evaluated" else decision,
                deciding=deciding, extra=extra or None,
            )
            self.state.audit.write(event)
        except Exception:  # the audit log must never take a request down with it
            log.exception("could not write the audit event of request %s", request_id)


def _decision(ctx: CallContext, default: str) -> str:
    """The audit decision of a call that succeeded: allowed when every authorization was."""
    if not ctx.decisions:
        return default
    return "allowed" if all(d.outcome == "allowed" for d in ctx.decisions) else ctx.decisions[-1].outcome


def _error_decision(ctx: CallContext | None, decision: str) -> str:
    """The audit decision of a call that failed: the refusing authorization, else ``error``."""
    if ctx is not None and ctx.decisions and ctx.decisions[-1].outcome != "allowed":
        return ctx.decisions[-1].outcome
    return decision if decision == "authentication_failed" else "error"


def build_app(state: AppState) -> Starlette:
    """The Starlette app for ``state``: extra routes first, then the AWS catch-all. The handlers
    are those registered when it is called (:mod:`podid.compose` imports them all)."""
    gateway = Gateway(state)
    # AWS calls run in worker threads; some wait on purpose (an SQS long poll: up to 20 s), so the
    # gateway has its own pool, larger than anyio's default 40 that the other routes share
    workers = anyio.CapacityLimiter(GATEWAY_THREADS)

    async def aws(request: Request) -> Response:
        body = await request.body()
        return await anyio.to_thread.run_sync(gateway.handle, _wire(request, body), limiter=workers)

    async def health(request: Request) -> Response:
        config = state.config
        return JSONResponse({"status": "ok", "account": config.account_id, "region": config.region})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for hook in state.startup:
            result = hook()
            if hasattr(result, "__await__"):
                await result
        try:
            yield
        finally:
            for hook in state.shutdown:
                result = hook()
                if hasattr(result, "__await__"):
                    await result
            state.audit.close()

    routes: list[BaseRoute] = [Route(HEALTH_PATH, health, methods=["GET"]), *state.routes,
                               Route("/{path:anypath}", aws, methods=_METHODS)]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.podid = state
    app.state.gateway = gateway
    return app


#: The ``WireRequest`` of a Starlette request (for other podid servers speaking AWS protocols).
wire_request = _wire
