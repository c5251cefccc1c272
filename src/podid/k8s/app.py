"""The per-cluster ASGI app: ``create_cluster_api(...) -> Starlette``.

Routes every Kubernetes path kubectl uses (discovery, OpenAPI v3, resources, watch, subresources
exec/log/token/status) to :class:`~podid.k8s.registry.Cluster`, after bearer-token authentication.
The app works at the root or mounted under a prefix (``/clusters/<name>``): URLs it hands out
(OpenAPI ``serverRelativeURL``) include ``scope["root_path"]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from podid.k8s import discovery, errors, openapi, scale
from podid.k8s.admission import AdmissionHook
from podid.k8s.auth import Authenticator, UserInfo
from podid.k8s.exec_ws import WebSocketExecIO, choose_protocol, exit_status
from podid.k8s.http import (
    JSONResponse,
    Target,
    accepts_table,
    flag,
    parse_resource_path,
    read_body,
    status_response,
)
from podid.k8s.podruntime import PodRuntime
from podid.k8s.registry import Cluster, WriteOptions
from podid.k8s.resources import ResourceType
from podid.k8s.selectors import parse_field_selector, parse_label_selector, supported_fields
from podid.k8s.store import CompactedError, ObjectStore
from podid.k8s.tables import to_table
from podid.k8s.tokens import TokenIssuer

WATCH_POLL_SECONDS = 0.1
MAX_WATCH_SECONDS = 1800
PUBLIC_PATHS = frozenset({"healthz", "livez", "readyz", "version"})


def _bearer(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def _manager(request: Request, default: str) -> str:
    manager = request.query_params.get("fieldManager")
    if manager:
        return manager
    agent = request.headers.get("user-agent", "")
    return agent.split("/")[0] or default if agent else default


def _container(pod: dict[str, Any], requested: str | None) -> str:
    containers = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
    name = pod["metadata"]["name"]
    if not requested:
        default = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
        if default in containers:
            return str(default)
        if len(containers) == 1:
            return str(containers[0])
        raise errors.bad_request(
            f"a container name must be specified for pod {name}, choose one of: "
            f"[{' '.join(str(c) for c in containers)}]"
        )
    init = [c.get("name") for c in (pod.get("spec") or {}).get("initContainers") or []]
    if requested not in containers and requested not in init:
        raise errors.bad_request(f"container {requested} is not valid for pod {name}")
    return requested


def _has_run(pod: dict[str, Any], container: str) -> bool:
    """The container has started at least once (its logs exist even though it is not running now)."""
    status = pod.get("status") or {}
    for cs in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or []):
        if cs.get("name") == container:
            state, last = cs.get("state") or {}, cs.get("lastState") or {}
            return bool(state.get("terminated") or last.get("terminated"))
    return False


def _not_running(pod: dict[str, Any], container: str, exec_: bool) -> errors.StatusError:
    name = pod["metadata"]["name"]
    if exec_ and not (pod.get("spec") or {}).get("nodeName"):
        return errors.bad_request(f"pod {name} does not have a host assigned")
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        if cs.get("name") == container and (cs.get("state") or {}).get("waiting"):
            reason = cs["state"]["waiting"].get("reason") or "ContainerCreating"
            return errors.bad_request(
                f'container "{container}" in pod "{name}" is waiting to start: {reason}'
            )
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        return errors.bad_request(f'container "{container}" in pod "{name}" is terminated')
    return errors.bad_request(
        f'container "{container}" in pod "{name}" is waiting to start: ContainerCreating'
    )


class ClusterAPI:
    """Request handlers bound to one :class:`Cluster`."""

    def __init__(self, cluster: Cluster, authenticator: Authenticator) -> None:
        self.cluster = cluster
        self.authenticator = authenticator

    # -- entry points ----------------------------------------------------------------------------
    def authenticate(self, conn: HTTPConnection, path: str) -> UserInfo | None:
        token = _bearer(conn)
        user = self.authenticator(token) if token else None
        if user is None and path.strip("/") not in PUBLIC_PATHS:
            raise errors.unauthorized()
        return user

    async def http(self, request: Request) -> Response:
        path = "/" + request.path_params.get("path", "")
        try:
            user = await run_in_threadpool(self.authenticate, request, path)
            return await self.dispatch(request, path, user)
        except errors.StatusError as exc:
            return status_response(exc)

    async def dispatch(self, request: Request, path: str, user: UserInfo | None) -> Response:
        stripped = path.strip("/")
        if stripped in ("healthz", "livez", "readyz"):
            return Response("ok", media_type="text/plain")
        if request.method == "GET":
            doc = await run_in_threadpool(self.discovery, request, stripped)
            if doc is not None:
                return doc
        target = await run_in_threadpool(parse_resource_path, stripped, self.cluster.types)
        if target is None:
            raise errors.resource_not_found()
        return await self.resource(request, target, user)

    def discovery(self, request: Request, path: str) -> Response | None:
        accept = request.headers.get("accept", "")
        types = self.cluster.types
        if path == "version":
            return JSONResponse(discovery.VERSION_INFO)
        if path in ("api", "apis"):
            media = discovery.wants_aggregated(accept)
            if media is not None:
                version = "apidiscovery.k8s.io/" + ("v2" if media == discovery.AGGREGATED_V2 else "v2beta1")
                aggregated = discovery.aggregated(path == "api", types, version)
                return JSONResponse(aggregated, media_type=media, headers={"Vary": "Accept"})
            listing = discovery.api_versions() if path == "api" else discovery.api_group_list(types)
            return JSONResponse(listing)
        parts = path.split("/")
        if parts[0] == "api" and len(parts) == 2:
            doc = discovery.api_resource_list("", parts[1], self.cluster.types)
            return JSONResponse(doc) if doc else None
        if parts[0] == "apis" and len(parts) == 2:
            group = discovery.api_group(parts[1], self.cluster.types)
            if group is None:
                raise errors.resource_not_found()
            return JSONResponse(group)
        if parts[0] == "apis" and len(parts) == 3:
            doc = discovery.api_resource_list(parts[1], parts[2], self.cluster.types)
            if doc is None:
                raise errors.resource_not_found()
            return JSONResponse(doc)
        if path == "openapi/v3":
            return JSONResponse(openapi.index(request.scope.get("root_path", "").rstrip("/"), types))
        if path.startswith("openapi/v3/"):
            doc = openapi.group_version_document(path[len("openapi/v3/") :], self.cluster.types)
            if doc is None:
                raise errors.resource_not_found()
            return JSONResponse(doc, headers={"Cache-Control": "public, immutable"})
        if path == "openapi/v2":
            raise errors.StatusError(404, "NotFound", "the server could not find the requested resource")
        return None

    # -- resources -------------------------------------------------------------------------------
    def _opts(self, request: Request, user: UserInfo | None, default_manager: str) -> WriteOptions:
        validation = request.query_params.get("fieldValidation", "Warn")
        if validation not in ("Strict", "Warn", "Ignore"):
            raise errors.bad_request(f"fieldValidation parameter unsupported: {validation!r}")
        return WriteOptions(
            manager=_manager(request, default_manager),
            dry_run=request.query_params.get("dryRun") == "All",
            field_validation=validation,
            username=user.username if user else "",
        )

    def _respond(
        self,
        request: Request,
        obj: dict[str, Any],
        code: int,
        opts: WriteOptions | None = None,
        resource: ResourceType | None = None,
    ) -> Response:
        headers = {}
        if opts and opts.warnings:
            headers["Warning"] = ", ".join(f'299 - "{w}"' for w in opts.warnings)
        if resource and accepts_table(request):
            obj = to_table(
                resource,
                [obj],
                obj.get("metadata", {}).get("resourceVersion"),
                request.query_params.get("includeObject", "Metadata"),
            )
        return JSONResponse(obj, status_code=code, headers=headers)

    async def resource(self, request: Request, t: Target, user: UserInfo | None) -> Response:
        c, rt, method = self.cluster, t.rt, request.method
        if t.subresource == "exec":
            pod = await run_in_threadpool(c.get, rt, t.namespace, t.name or "")
            container = _container(pod, request.query_params.get("container"))
            if not c.runtime.is_running(pod, container):
                raise _not_running(pod, container, True)
            raise errors.bad_request("Upgrade request required")
        if t.subresource == "log":
            return await self.logs(request, t)
        if t.subresource == "token":
            if method != "POST":
                raise errors.method_not_allowed()
            body = await read_body(request)
            out = await run_in_threadpool(c.authn.create_token, t.namespace or "", t.name or "", body)
            return JSONResponse(out, status_code=201)
        if t.subresource == "scale" and t.name is not None:
            return await self.scale(request, t, user)
        if rt.resource == "selfsubjectreviews":   # `kubectl auth whoami`
            if method != "POST":
                raise errors.method_not_allowed()
            await read_body(request)
            anonymous = UserInfo("system:anonymous", groups=("system:unauthenticated",))
            return JSONResponse(self_subject_review(user or anonymous), status_code=201)
        if rt.resource == "tokenreviews":
            if method != "POST":
                raise errors.method_not_allowed()
            body = await read_body(request)
            return JSONResponse(await run_in_threadpool(c.authn.token_review, body), status_code=201)
        if t.name is None:
            if method == "GET":
                if flag(request, "watch"):
                    return await self.watch(request, t)
                return await self.list(request, t)
            if method == "POST":
                body = await read_body(request)
                opts = self._opts(request, user, "unknown")
                obj = await run_in_threadpool(c.create, rt, t.namespace, body, opts)
                return self._respond(request, obj, 201, opts, rt)
            if method == "DELETE":
                return await self.delete_collection(request, t)
            raise errors.method_not_allowed()
        if method == "GET":
            obj = await run_in_threadpool(c.get, rt, t.namespace, t.name)
            return self._respond(request, obj, 200, None, rt)
        if method == "PUT":
            body = await read_body(request)
            opts = self._opts(request, user, "unknown")
            obj = await run_in_threadpool(c.replace, rt, t.namespace, t.name, body, opts, t.subresource)
            return self._respond(request, obj, 200, opts, rt)
        if method == "PATCH":
            body = await read_body(request)
            opts = self._opts(request, user, "unknown")
            ctype = request.headers.get("content-type", "").split(";")[0].strip()
            obj, created = await run_in_threadpool(
                c.patch, rt, t.namespace, t.name, ctype, body, opts, flag(request, "force"), t.subresource
            )
            return self._respond(request, obj, 201 if created else 200, opts, rt)
        if method == "DELETE":
            raw = await request.body()
            options: dict[str, Any] = json.loads(raw) if raw.strip() else {}
            if "gracePeriodSeconds" in request.query_params:
                options["gracePeriodSeconds"] = int(request.query_params["gracePeriodSeconds"])
            dry = request.query_params.get("dryRun") == "All" or "All" in (options.get("dryRun") or [])
            obj = await run_in_threadpool(c.delete, rt, t.namespace, t.name, options, dry)
            return self._respond(request, obj, 200)
        raise errors.method_not_allowed()

    async def scale(self, request: Request, t: Target, user: UserInfo | None) -> Response:
        c, name = self.cluster, t.name or ""
        if request.method == "GET":
            out = await run_in_threadpool(scale.get_scale, c, t.rt, t.namespace, name)
            return JSONResponse(out)
        body = await read_body(request)
        opts = self._opts(request, user, "unknown")
        if request.method == "PUT":
            out = await run_in_threadpool(scale.replace_scale, c, t.rt, t.namespace, name, body, opts)
        elif request.method == "PATCH":
            ctype = request.headers.get("content-type", "").split(";")[0].strip()
            out = await run_in_threadpool(scale.patch_scale, c, t.rt, t.namespace, name, ctype, body, opts)
        else:
            raise errors.method_not_allowed()
        return self._respond(request, out, 200, opts)

    def _matcher(self, request: Request, t: Target) -> Any:
        labels = parse_label_selector(request.query_params.get("labelSelector"))
        fields = parse_field_selector(
            request.query_params.get("fieldSelector"),
            supported_fields(t.rt.resource),
            t.rt.kind,
            t.rt.api_version,
        )
        return lambda obj: labels(obj) and fields(obj)

    async def list(self, request: Request, t: Target) -> Response:
        match = self._matcher(request, t)
        items, rv = await run_in_threadpool(self.cluster.list_objects, t.rt, t.namespace, match)
        if accepts_table(request):
            return JSONResponse(
                to_table(t.rt, items, str(rv), request.query_params.get("includeObject", "Metadata"))
            )
        return JSONResponse(
            {
                "kind": t.rt.list_kind,
                "apiVersion": t.rt.api_version,
                "metadata": {"resourceVersion": str(rv)},
                "items": items,
            }
        )

    async def delete_collection(self, request: Request, t: Target) -> Response:
        match = self._matcher(request, t)
        items, rv = await run_in_threadpool(self.cluster.list_objects, t.rt, t.namespace, match)
        deleted = []
        for obj in items:
            try:
                deleted.append(
                    await run_in_threadpool(
                        self.cluster.delete,
                        t.rt,
                        obj["metadata"].get("namespace"),
                        obj["metadata"]["name"],
                        {},
                    )
                )
            except errors.StatusError:
                continue
        return JSONResponse(
            {
                "kind": t.rt.list_kind,
                "apiVersion": t.rt.api_version,
                "metadata": {"resourceVersion": str(rv)},
                "items": deleted,
            }
        )

    async def watch(self, request: Request, t: Target) -> Response:
        match = self._matcher(request, t)
        table = accepts_table(request)
        rt, ns = t.rt, t.namespace if t.rt.namespaced else None
        rv_param = request.query_params.get("resourceVersion", "")
        send_initial = flag(request, "sendInitialEvents")
        timeout = min(int(request.query_params.get("timeoutSeconds") or MAX_WATCH_SECONDS), MAX_WATCH_SECONDS)
        store: ObjectStore = self.cluster.store
        include = request.query_params.get("includeObject", "Metadata")

        def render(etype: str, obj: dict[str, Any]) -> bytes:
            if table and etype != "ERROR" and etype != "BOOKMARK":
                obj = to_table(rt, [obj], obj.get("metadata", {}).get("resourceVersion"), include)
            return json.dumps({"type": etype, "object": obj}, separators=(",", ":")).encode() + b"\n"

        async def stream() -> AsyncIterator[bytes]:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            if rv_param in ("", "0") or send_initial:
                items, start = await run_in_threadpool(self.cluster.list_objects, rt, ns, match)
                for item in items:
                    yield render("ADDED", item)
                if send_initial:
                    yield render(
                        "BOOKMARK",
                        {
                            "kind": rt.kind,
                            "apiVersion": rt.api_version,
                            "metadata": {
                                "resourceVersion": str(start),
                                "annotations": {"k8s.io/initial-events-end": "true"},
                            },
                        },
                    )
            else:
                try:
                    start = int(rv_param)
                except ValueError:
                    yield render(
                        "ERROR", errors.bad_request(f"invalid resource version: {rv_param}").status()
                    )
                    return
            current = start
            while loop.time() < deadline:
                try:
                    events = await run_in_threadpool(store.events_since, current)
                except CompactedError as exc:
                    yield render("ERROR", errors.gone(str(exc)).status())
                    return
                for ev in events:
                    current = ev.resource_version
                    if ev.group != rt.group or ev.resource != rt.resource:
                        continue
                    if ns is not None and ev.namespace != ns:
                        continue
                    if match(ev.object):
                        yield render(ev.type, ev.object)
                if not events:
                    await asyncio.sleep(WATCH_POLL_SECONDS)

        return StreamingResponse(
            stream(),
            media_type="application/json",
            headers={"Transfer-Encoding": "chunked", "Cache-Control": "no-cache"},
        )

    async def logs(self, request: Request, t: Target) -> Response:
        c = self.cluster
        pod = await run_in_threadpool(c.get, t.rt, t.namespace, t.name or "")
        container = _container(pod, request.query_params.get("container"))
        if not (pod.get("spec") or {}).get("nodeName"):
            return Response(b"", media_type="text/plain")
        if not c.runtime.is_running(pod, container) and not _has_run(pod, container):
            raise _not_running(pod, container, False)
        follow = flag(request, "follow")
        return StreamingResponse(c.runtime.logs(pod, container, follow), media_type="text/plain")

    # -- exec over WebSocket ---------------------------------------------------------------------
    async def websocket(self, ws: WebSocket) -> None:
        path = "/" + ws.path_params.get("path", "")
        try:
            await run_in_threadpool(self.authenticate, ws, path)
            t = parse_resource_path(path.strip("/"), self.cluster.types)
            if t is None or t.subresource not in ("exec", "attach"):
                raise errors.resource_not_found()
            if t.subresource == "attach":
                raise errors.bad_request("attach is not supported by podid")
            pod = await run_in_threadpool(self.cluster.get, t.rt, t.namespace, t.name or "")
            container = _container(pod, ws.query_params.get("container"))
            command = ws.query_params.getlist("command")
            if not command:
                raise errors.bad_request("you must specify at least one command for the container")
            if not self.cluster.runtime.is_running(pod, container):
                raise _not_running(pod, container, True)
            proto = choose_protocol(ws.scope.get("subprotocols") or [])
            if proto is None:
                raise errors.bad_request(
                    "websocket: the client offered no supported protocol "
                    "(v5.channel.k8s.io, v4.channel.k8s.io)"
                )
        except errors.StatusError as exc:
            await ws.send_denial_response(status_response(exc))
            return
        await ws.accept(subprotocol=proto)
        stdin = flag(ws, "stdin")
        io = WebSocketExecIO(ws, proto, stdin)
        reader = asyncio.create_task(io.reader())
        try:
            code = await self.cluster.runtime.exec(pod, container, command, io, flag(ws, "tty"))
            await io.finish(exit_status(code, command))
        except Exception as exc:  # the runtime failed: report it as Kubernetes does, on channel 3
            await io.finish(errors.internal(str(exc)).status())
        finally:
            reader.cancel()
            with contextlib.suppress(RuntimeError):
                await ws.close()


def create_cluster_api(
    cluster_name: str,
    store: ObjectStore,
    authenticator: Authenticator,
    admission_hooks: Sequence[AdmissionHook] = (),
    token_issuer: TokenIssuer | None = None,
    *,
    runtime: PodRuntime | None = None,
    ca_pem: str | None = None,
) -> Starlette:
    """The Kubernetes API of one podid cluster as a Starlette app (bootstraps its namespaces)."""
    cluster = Cluster(cluster_name, store, admission_hooks, token_issuer, runtime, ca_pem)
    cluster.bootstrap()
    api = ClusterAPI(cluster, authenticator)
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    app = Starlette(
        routes=[
            Route("/", api.http, methods=methods),
            Route("/{path:path}", api.http, methods=methods),
            WebSocketRoute("/{path:path}", api.websocket),
        ]
    )
    app.state.cluster = cluster
    app.state.api = api
    return app


def self_subject_review(user: UserInfo) -> dict[str, Any]:
    """The SelfSubjectReview answer: who the request authenticated as."""
    info: dict[str, Any] = {"username": user.username, "groups": list(user.groups)}
    if user.uid:
        info["uid"] = user.uid
    if user.extra:
        info["extra"] = {k: list(v) for k, v in user.extra.items()}
    return {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"creationTimestamp": None}, "status": {"userInfo": info}}
