"""Handler registry: ``@handler(service, operation)``, whole-service forwarders, unsigned operations.

* ``@handler("sts", "GetCallerIdentity")`` registers a function ``(CallContext) -> dict``.
* :func:`register_forwarder` registers a whole service as "forward to a backend after
  authentication": the gateway authenticates and parses, then calls the forwarder with the
  :class:`CallContext` and the raw :class:`~podid.protocol.wire.WireRequest` (in a worker
  thread, so it may block); the forwarder
  authorizes (``ctx.authorize``) and returns a Starlette ``Response``. Handlers registered with
  ``@handler`` for the same service win over the forwarder for their operation.
* :func:`allow_anonymous` marks operations AWS accepts unsigned (STS AssumeRoleWithWebIdentity...).

Handler modules register themselves when imported; :mod:`podid.compose` imports every one of
them (the one list of what ``podid up`` serves).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.responses import Response

    from podid.gateway.context import CallContext
    from podid.protocol.wire import WireRequest

Handler = Callable[["CallContext"], dict[str, Any]]
Forwarder = Callable[["CallContext", "WireRequest"], "Response"]

_HANDLERS: dict[tuple[str, str], Handler] = {}
_FORWARDERS: dict[str, Forwarder] = {}
_ANONYMOUS: set[tuple[str, str]] = {
    ("sts", "AssumeRoleWithWebIdentity"),
    ("sts", "AssumeRoleWithSAML"),
}
#: Services where an unsigned request is judged as the anonymous principal (S3 public access).
_ANONYMOUS_SERVICES: set[str] = {"s3"}

def handler(service: str, operation: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``service``'s ``operation``."""

    def register(fn: Handler) -> Handler:
        _HANDLERS[(service, operation)] = fn
        return fn

    return register


def register_forwarder(service: str, forwarder: Forwarder) -> None:
    """Route every operation of ``service`` without an ``@handler`` to ``forwarder``."""
    _FORWARDERS[service] = forwarder


def allow_anonymous(service: str, operation: str | None = None) -> None:
    """Accept unsigned requests for ``operation`` (or, with None, every operation of ``service``)."""
    if operation is None:
        _ANONYMOUS_SERVICES.add(service)
    else:
        _ANONYMOUS.add((service, operation))


def get_handler(service: str, operation: str) -> Handler | None:
    return _HANDLERS.get((service, operation))


def get_forwarder(service: str) -> Forwarder | None:
    return _FORWARDERS.get(service)


def is_anonymous_allowed(service: str, operation: str | None) -> bool:
    return service in _ANONYMOUS_SERVICES or (operation is not None and (service, operation) in _ANONYMOUS)


def serves(service: str) -> bool:
    """True if podid implements anything of ``service``."""
    return service in _FORWARDERS or any(s == service for s, _ in _HANDLERS)


def services() -> list[str]:
    return sorted({s for s, _ in _HANDLERS} | set(_FORWARDERS))
