"""The data plane behind the gateway: authorize every call with the judge, forward allowed ones to moto.

Registered with :func:`podid.gateway.registry.register_forwarder` for s3, secretsmanager, sqs,
dynamodb, kms, cloudwatch and logs when the gateway imports this module. For each call (already
authenticated and parsed by the gateway, running in a worker thread):

1. S3 ``aws-chunked`` bodies are decoded (:mod:`podid.auth.chunked`); the parsed input is checked
   against the botocore model (:mod:`podid.protocol.validation`), as AWS's front end does;
2. :func:`podid.dataplane.services.authorization_items` lists the IAM requests the call needs;
   each is judged through :meth:`CallContext.authorize` (identity, boundary, session policies and
   the global condition keys come from the gateway) with the resource's own policy (bucket, secret,
   queue, key policy, read from the backend) and owner account;
3. a denial is answered in the service's own shape (:func:`podid.dataplane.denial.denial_error`,
   serialised by :mod:`podid.protocol` like any error), raised as :class:`ServiceDenied` so the
   gateway audits it like any AccessDenied;
4. allowed calls go to :class:`podid.dataplane.backend.Backend` with the path and query undecoded;
   S3 flexible checksums are verified first (:mod:`podid.dataplane.checksums`). Input the backend
   still cannot read (moto raising instead of answering) is the protocol's malformed-input 400,
   logged with its traceback, never a 500.

Record mode (``podid up --mode record``, i.e. ``Config.mode == "record"``): denials are not
enforced; the audit event of the call says ``would be denied: needs ...``.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

from starlette.responses import Response

from podid.auth import chunked
from podid.dataplane import checksums
from podid.dataplane.backend import Backend, RawRequest, RawResponse
from podid.dataplane.denial import denial_error
from podid.dataplane.kit import AuthzItem, DataplaneRequest
from podid.dataplane.lookup import MotoLookup
from podid.dataplane.policycheck import check_policy_update
from podid.dataplane.services import SPECS, authorization_items, spec
from podid.errors import ServiceError
from podid.gateway.audit import redact
from podid.gateway.registry import register_forwarder
from podid.protocol import validation
from podid.protocol.codec import request_protocol, serialize_error

if TYPE_CHECKING:
    from podid.gateway.context import CallContext
    from podid.gateway.state import AppState
    from podid.protocol.wire import WireRequest

log = logging.getLogger("podid.dataplane")


EXTRAS_KEY = "podid.dataplane"

#: Response headers carrying a request id: replaced by the gateway's id so logs and audit agree.
_REQUEST_ID_HEADERS = frozenset({"x-amz-request-id", "x-amzn-requestid"})
_DROP_RESPONSE_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "server", "date"})


class ServiceDenied(ServiceError):
    """An AccessDenied whose wire response the data plane has already built (service's own shape)."""

    def __init__(self, code: str, message: str, status: int, response: Response) -> None:
        super().__init__(code, message, status)
        self.response = response


class Plane:
    """One embedded backend and its lookup; created once per process, closed at shutdown."""

    def __init__(self, state: AppState) -> None:
        config = state.config
        self.backend = Backend(config.state_dir, config.account_id, config.region,
                               durability=config.durability)  # type: ignore[arg-type]
        self.lookup = MotoLookup(self.backend)

    def close(self) -> None:
        self.backend.close()


_plane_lock = threading.Lock()


def plane(state: AppState) -> Plane:
    """The process's :class:`Plane`, created on first use (its close joins ``state.shutdown``)."""
    existing = state.extras.get(EXTRAS_KEY)
    if existing is not None:
        return existing  # type: ignore[no-any-return]
    with _plane_lock:
        existing = state.extras.get(EXTRAS_KEY)
        if existing is None:
            existing = Plane(state)
            state.extras[EXTRAS_KEY] = existing
            state.shutdown.append(existing.close)
    return existing  # type: ignore[no-any-return]


def install(state: AppState) -> None:
    """``podid up`` server extension: build the backend at start-up instead of on the first call."""
    state.startup.append(lambda: plane(state))


def record_mode(state: AppState) -> bool:
    """Whether denials are only recorded (``podid up --mode record``), not enforced."""
    return state.config.mode == "record"


@functools.lru_cache(maxsize=1024)
def _resource_policy(text: str, name: str) -> Any:
    """The compiled resource policy (cached by text); a stored policy that does not compile fails closed."""
    from podid.iam import PolicyError, parse_policy

    try:
        return parse_policy(text, kind="resource", name=name)
    except PolicyError as exc:
        # podid validates policies when they are set; one that still does not compile (state written
        # by an older version) cannot be honoured, so the call is refused rather than judged without it
        log.warning("stored %s does not compile (%s: %s)", name, exc.code, exc.message)
        raise ServiceError("AccessDenied", f"The {name} of this resource does not compile ({exc.message}); "
                           "podid refuses the call rather than ignore it", 403) from exc


def _to_response(raw: RawResponse, request_id: str, head: bool) -> Response:
    headers: list[tuple[bytes, bytes]] = []
    length: str | None = None
    for key, value in raw.headers:
        low = key.lower()
        if low == "content-length":
            length = value
            continue
        if low in _DROP_RESPONSE_HEADERS:
            continue
        if low in _REQUEST_ID_HEADERS:
            value = request_id
        headers.append((low.encode("latin-1"), str(value).encode("latin-1")))
    if head:
        body = b""
        if length is not None:
            headers.insert(0, (b"content-length", length.encode("latin-1")))
    else:
        body = raw.body
        if raw.status not in (204, 304) or body:
            headers.insert(0, (b"content-length", str(len(body)).encode()))
    response = Response(content=body, status_code=raw.status)
    response.raw_headers = headers
    return response


def _deny(ctx: CallContext, wire: WireRequest, scope: str, item: AuthzItem,
          exc: ServiceError) -> ServiceDenied:
    error = denial_error(scope, exc.message, item)
    response = serialize_error(ctx.service, ctx.operation, error, wire, ctx.request_id)
    if wire.method == "HEAD":   # S3 HEAD errors carry no body
        response.body = b""
    return ServiceDenied(error.code, error.message, error.status, response)


def _judge(ctx: CallContext, wire: WireRequest, scope: str, items: list[AuthzItem], record: bool) -> None:
    """Authorize every item; raises ServiceDenied on the first denial (record mode: notes it)."""
    needs: list[str] = []
    for item in items:
        owner = item.resource_owner_lookup() if item.resource_owner_lookup is not None else None
        policy = None
        if owner is not None and owner.policy:
            policy = _resource_policy(owner.policy, spec(scope).policy_name)
        try:
            ctx.authorize(item.action, item.resource, context=item.context, resource_policy=policy,
                          resource_account=owner.account if owner is not None else None)
        except ServiceError as exc:
            if not record:
                raise _deny(ctx, wire, scope, item, exc) from None
            needs.append(f"{item.action} on {item.resource}")
        finally:
            _note_authorization(ctx, item)
    if needs:
        ctx.audit_extra["enforced"] = False
        ctx.audit_extra["note"] = "would be denied: needs " + ", ".join(needs)


def _note_authorization(ctx: CallContext, item: AuthzItem) -> None:
    """The audit event's ``podid.authorizations``: each IAM request of the call with its
    request-specific condition keys and outcome (the input of ``podid policy generate``)."""
    outcome = ctx.decisions[-1].outcome if ctx.decisions else "error"
    ctx.audit_extra.setdefault("authorizations", []).append(
        {"action": item.action, "resource": item.resource, "context": redact(dict(item.context)),
         "decision": outcome})


def _s3_target(ctx: CallContext) -> tuple[str | None, str | None]:
    bucket = ctx.params.get("Bucket")
    key = ctx.params.get("Key")
    return (str(bucket) if bucket else None), (str(key) if key is not None else None)


def _malformed(protocol: str, exc: Exception | None) -> ServiceError:
    """The error AWS gives for input its front end cannot read (instead of a backend crash or a
    bare status): S3's MalformedXML for unreadable XML or a body-less refusal."""
    if protocol == "rest-xml":
        if exc is None or type(exc).__name__ == "ExpatError":
            return validation.malformed_xml()
        return ServiceError("InvalidRequest", "The request is not valid for this operation.", 400)
    if protocol == "query":
        return ServiceError("MalformedInput", "The request input is malformed.", 400)
    return ServiceError("SerializationException", "The request input is malformed for this operation.", 400)


def forward(ctx: CallContext, wire: WireRequest) -> Response:
    """The forwarder for one data-plane call (see the module docstring)."""
    scope = spec(ctx.service).scope
    state = ctx.app
    dp = plane(state)
    headers, body = list(wire.headers), wire.body
    if scope == "s3":
        _check_uri(wire.raw_path)
        try:
            headers, body = chunked.strip(headers, body)
        except chunked.ChunkedError as exc:
            raise ServiceError("IncompleteBody", f"The request body is not valid aws-chunked: {exc}",
                               400) from exc
        except chunked.TrailerError as exc:
            raise ServiceError("MalformedTrailerError", str(exc), 400) from exc
    protocol = request_protocol(ctx.service, wire)
    validation.check(ctx.service, ctx.operation, ctx.params, protocol)
    bucket, key = _s3_target(ctx) if scope == "s3" else (None, None)
    if key is not None and len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise ServiceError("KeyTooLongError", "Your key is too long", 400)
    request = DataplaneRequest(service=scope, operation=ctx.operation, params=ctx.params, region=ctx.region,
                               account=state.config.account_id, bucket=bucket, key=key,
                               caller_account=ctx.caller.account if ctx.caller.kind != "anonymous" else None)
    items = authorization_items(request, dp.lookup)
    ctx.audit_extra["resources"] = sorted({i.resource for i in items})
    ctx.audit_extra["eventCategory"] = "Data"
    _judge(ctx, wire, scope, items, record_mode(state))
    check_policy_update(scope, ctx.operation, ctx.params)
    if scope == "s3":
        checksums.verify(ctx.operation, headers, body)
    if protocol in ("json", "smithy-rpc-v2-cbor") and not body.strip():
        body = b"{}"      # an empty JSON-protocol body means no members (as AWS reads it)
    try:
        raw = dp.backend.forward(scope, RawRequest(wire.method, wire.raw_path, wire.query, headers, body),
                                 operation=ctx.operation, region=ctx.region,
                                 params=ctx.params)
    except ServiceError:
        raise
    except Exception as exc:   # the backend choked on input podid parsed and judged: the caller's fault
        log.error("backend %s refused %s input with %s (request %s)", scope, ctx.operation,
                  type(exc).__name__, ctx.request_id, exc_info=True)
        raise _malformed(protocol, exc) from exc
    if scope == "s3" and raw.status == 404 and ctx.operation in _OBJECT_READS and bucket:
        _missing_object_needs_list(ctx, wire, request, dp, raw)
    if raw.status >= 400 and not raw.body.strip() and wire.method != "HEAD":
        # moto answers some input it cannot use with a bare status; AWS names the problem
        raise _malformed(protocol, None)
    return _to_response(raw, ctx.request_id, head=wire.method == "HEAD")


_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _check_uri(raw_path: str) -> None:
    """S3's InvalidURI: a path whose escapes are malformed or do not decode to UTF-8."""
    try:
        if _BAD_ESCAPE.search(raw_path):
            raise ValueError(raw_path)
        unquote_to_bytes(raw_path).decode("utf-8")
    except ValueError as exc:
        raise ServiceError("InvalidURI", "Couldn't parse the specified URI.", 400) from exc


#: S3's limit on an object key, in UTF-8 bytes.
MAX_KEY_BYTES = 1024

#: Reads of one object: when it does not exist, S3 answers 404 only to callers that may list the bucket.
_OBJECT_READS = frozenset({"GetObject", "HeadObject", "GetObjectAttributes"})


def _missing_object_needs_list(ctx: CallContext, wire: WireRequest, request: DataplaneRequest, dp: Plane,
                               raw: RawResponse) -> None:
    """S3's rule for a missing object: "If you don't have the s3:ListBucket permission, Amazon S3
    returns an HTTP status code 403 Access Denied error" (GetObject docs) -- so a 404 does not tell
    a caller without s3:ListBucket which keys exist. Raises the ListBucket denial in that case."""
    if b"NoSuchBucket" in raw.body:
        return
    listing = DataplaneRequest(service="s3", operation="ListObjectsV2", params={"Bucket": request.bucket},
                               region=request.region, account=request.account, bucket=request.bucket,
                               caller_account=request.caller_account)
    _judge(ctx, wire, "s3", authorization_items(listing, dp.lookup), record_mode(ctx.app))


for _spec in SPECS:
    register_forwarder(_spec.botocore, forward)
