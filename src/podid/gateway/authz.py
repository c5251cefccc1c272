"""`CallContext.authorize`: build a ``podid.iam.Request`` and PolicySet, evaluate, raise AccessDenied.

Identity policies and the permissions boundary come from ``Store.principal_policies`` (for a role
session: the role's), the session policy from the session token. Compiled policies are cached by
``(principal, Store.generation())`` so repeated calls never re-parse; any IAM write bumps the
generation and so invalidates the cache. The denial error code is per service
(:data:`ACCESS_DENIED`): ``AccessDenied``/403 for query and REST-XML services,
``AccessDeniedException`` for JSON ones, with AWS's status for each.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from podid.errors import ServiceError
from podid.iam import Policy, PolicyError, PolicySet, Request, denial_message, evaluate, parse_policy
from podid.protocol.errors import modelled_status
from podid.protocol.models import service_model

if TYPE_CHECKING:
    from podid.gateway.context import CallContext

log = logging.getLogger(__name__)

#: service -> (error code, HTTP status) when IAM denies, where the botocore model does not say (the
#: data-plane services' own are in their specs, :mod:`podid.dataplane.services`). Others: by protocol.
ACCESS_DENIED: dict[str, tuple[str, int]] = {
    "sts": ("AccessDenied", 403), "iam": ("AccessDenied", 403),
}
_BY_PROTOCOL = {"query": ("AccessDenied", 403), "rest-xml": ("AccessDenied", 403),
                "ec2": ("UnauthorizedOperation", 403), "json": ("AccessDeniedException", 400),
                "rest-json": ("AccessDeniedException", 403),
                "smithy-rpc-v2-cbor": ("AccessDeniedException", 400)}

_CACHE_SIZE = 2048


@dataclass(frozen=True)
class AuthzRecord:
    """The outcome of one :meth:`CallContext.authorize` call (kept for the audit log)."""

    action: str
    resource: str
    outcome: str                       # allowed | implicit_deny | explicit_deny
    deciding: str | None               # "identity:policy[0]:Sid" of the deciding statement


def access_denied_code(service: str) -> tuple[str, int]:
    """The (code, status) ``service`` uses for an IAM denial: the model's own AccessDenied error
    where it defines one (EKS 403, EKS Auth 400), else :data:`ACCESS_DENIED`, else by protocol."""
    for code in ("AccessDeniedException", "AccessDenied"):
        try:
            return code, modelled_status(service, code)[0]
        except KeyError:
            continue
    if service in ACCESS_DENIED:
        return ACCESS_DENIED[service]
    return _BY_PROTOCOL.get(service_model(service).protocol, ("AccessDenied", 403))


@dataclass(frozen=True)
class _Compiled:
    identity: tuple[Any, ...]
    boundary: tuple[Any, ...] | None
    tags: Mapping[str, str]


class PolicyCache:
    """Compiled identity policies + boundary + principal tags per (principal, generation)."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self._items: OrderedDict[tuple[str, int], _Compiled] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size
        self.misses = 0

    def get(self, store: Any, principal: str) -> _Compiled:
        generation = _generation(store)
        key = (principal, generation if generation is not None else -1)
        if generation is not None:
            with self._lock:
                hit = self._items.get(key)
                if hit is not None:
                    self._items.move_to_end(key)
                    return hit
        compiled = _compile(store, principal)
        self.misses += 1
        if generation is not None:
            with self._lock:
                self._items[key] = compiled
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        return compiled


def _generation(store: Any) -> int | None:
    return int(store.generation())


def _source_doc(src: Any) -> tuple[str, Any]:
    if isinstance(src, tuple) and len(src) == 2:
        return str(src[0]), src[1]
    if hasattr(src, "document"):
        return str(getattr(src, "name", "policy")), src.document
    return "policy", src


def _parse_all(sources: Sequence[Any], kind: str) -> tuple[Any, ...]:
    out = []
    for src in sources:
        if isinstance(src, Policy):
            out.append(src)
            continue
        name, doc = _source_doc(src)
        try:
            out.append(parse_policy(doc, kind=kind, name=name))  # type: ignore[arg-type]
        except PolicyError as exc:
            log.warning("stored %s policy %s does not compile (%s); ignored", kind, name, exc.code)
    return tuple(out)


def _principal_tags(store: Any, principal: str) -> dict[str, str]:
    parts = principal.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam":
        return {}
    account, resource = parts[4], parts[5]
    kind, _, rest = resource.partition("/")
    name = rest.rsplit("/", 1)[-1]
    getter = getattr(store, "get_user" if kind == "user" else "get_role" if kind == "role" else "", None)
    if getter is None:
        return {}
    try:
        record = getter(account, name)
    except Exception:
        return {}
    tags = getattr(record, "tags", None) or []
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t["Key"]): str(t["Value"]) for t in tags if "Key" in t}


def _compile(store: Any, principal: str) -> _Compiled:
    result = store.principal_policies(principal)
    identity_src, boundary_src = result[0], result[1]
    identity = _parse_all(list(identity_src or ()), "identity")
    boundary: tuple[Any, ...] | None = None
    if boundary_src:
        srcs = boundary_src if isinstance(boundary_src, list | tuple) and not (
            isinstance(boundary_src, tuple) and len(boundary_src) == 2 and isinstance(boundary_src[0], str)
        ) else [boundary_src]
        boundary = _parse_all(list(srcs), "boundary")
    return _Compiled(identity, boundary, _principal_tags(store, principal))


@functools.lru_cache(maxsize=512)
def _session_policy(doc: str) -> Any:
    return parse_policy(doc, kind="session", name="session policy")


def _cache(ctx: CallContext) -> PolicyCache:
    return ctx.app.policy_cache


def request_context(ctx: CallContext, principal_tags: Mapping[str, str]) -> dict[str, Any]:
    """The global condition keys AWS sets for this caller and request."""
    caller = ctx.caller
    now = dt.datetime.now(dt.UTC)
    keys: dict[str, Any] = {
        "aws:SourceIp": ctx.source_ip,
        "aws:SecureTransport": "true" if ctx.secure_transport else "false",
        "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:RequestedRegion": ctx.region,
        "aws:PrincipalAccount": caller.account,
        "aws:userid": caller.user_id,
    }
    if ctx.user_agent:
        keys["aws:UserAgent"] = ctx.user_agent
    if caller.kind == "anonymous":
        return {k: v for k, v in keys.items() if not k.startswith("aws:Principal") and k != "aws:userid"}
    keys["aws:PrincipalArn"] = caller.policy_principal
    keys["aws:PrincipalType"] = {"user": "User", "assumed-role": "AssumedRole", "root": "Account"}.get(
        caller.kind, "User")
    if caller.kind == "user" and caller.user_name:
        keys["aws:username"] = caller.user_name
    tags = dict(principal_tags)
    session = caller.session
    if session is not None:
        tags.update(session.tags)
        keys["aws:TokenIssueTime"] = dt.datetime.fromtimestamp(session.issued, dt.UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        if session.source_identity:
            keys["aws:SourceIdentity"] = session.source_identity
    for key, value in tags.items():
        keys[f"aws:PrincipalTag/{key}"] = value
    return keys


def _ref(decision: Any) -> str | None:
    if not decision.deciding:
        return None
    ref = decision.deciding[0]
    return f"{ref.kind}:{ref.policy}:Statement[{ref.index}]" + (f":{ref.sid}" if ref.sid else "")


def authorize(ctx: CallContext, action: str, resource: str, *, context: Mapping[str, Any],
              resource_policy: Any = None, resource_account: str | None = None) -> None:
    """Judge one action for ``ctx.caller``; raises ServiceError(AccessDenied...) when denied."""
    code, status = access_denied_code(ctx.service)
    caller = ctx.caller
    if caller.kind == "anonymous":
        compiled = _Compiled((), None, {})
    else:
        compiled = _cache(ctx).get(ctx.app.store, caller.policy_principal)
    session: tuple[Any, ...] | None = None
    if caller.session is not None and caller.session.session_policy:
        session = (_session_policy(caller.session.session_policy),)
    keys = request_context(ctx, compiled.tags)
    keys.update(context)
    request = Request(principal=caller.arn, action=action, resource=resource, context=keys,
                      resource_account=resource_account)
    policies = PolicySet(identity=compiled.identity, resource=resource_policy, boundary=compiled.boundary,
                         session=session)
    decision = evaluate(request, policies)
    ctx.decisions.append(AuthzRecord(action, resource, decision.outcome, _ref(decision)))
    if not decision.allowed:
        raise ServiceError(code, denial_message(request, decision), status)
