"""Kubernetes ``Status`` errors, worded exactly as kube-apiserver words them.

Every failure the cluster API returns is a :class:`StatusError`; :meth:`StatusError.status`
is the ``v1 Status`` object kubectl turns into ``Error from server (Reason): message``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Cause:
    """One ``details.causes`` entry (``reason`` is e.g. ``FieldValueRequired``)."""

    reason: str
    message: str
    field: str = ""

    def to_dict(self) -> dict[str, str]:
        out = {"reason": self.reason, "message": self.message}
        if self.field:
            out["field"] = self.field
        return out


@dataclass
class StatusError(Exception):
    """An API error carrying everything needed to render a ``v1 Status``."""

    code: int
    reason: str
    message: str
    name: str | None = None
    group: str | None = None
    kind: str | None = None
    causes: Sequence[Cause] = field(default_factory=tuple)
    retry_after: int | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def status(self) -> dict[str, Any]:
        details: dict[str, Any] = {}
        if self.name is not None:
            details["name"] = self.name
        if self.group:
            details["group"] = self.group
        if self.kind is not None:
            details["kind"] = self.kind
        if self.causes:
            details["causes"] = [c.to_dict() for c in self.causes]
        if self.retry_after is not None:
            details["retryAfterSeconds"] = self.retry_after
        out: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if details:
            out["details"] = details
        return out


def _qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def not_found(resource: str, group: str, name: str) -> StatusError:
    return StatusError(
        404,
        "NotFound",
        f'{_qualified(resource, group)} "{name}" not found',
        name=name,
        group=group,
        kind=resource,
    )


def already_exists(resource: str, group: str, name: str) -> StatusError:
    return StatusError(
        409,
        "AlreadyExists",
        f'{_qualified(resource, group)} "{name}" already exists',
        name=name,
        group=group,
        kind=resource,
    )


def conflict(resource: str, group: str, name: str, why: str) -> StatusError:
    return StatusError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {_qualified(resource, group)} "{name}": {why}',
        name=name,
        group=group,
        kind=resource,
    )


def stale_conflict(resource: str, group: str, name: str) -> StatusError:
    return conflict(
        resource,
        group,
        name,
        "the object has been modified; please apply your changes to the latest version and try again",
    )


def invalid(kind: str, group: str, name: str, causes: Sequence[Cause]) -> StatusError:
    """``The Pod "x" is invalid: spec.containers: Required value`` (causes joined as Kubernetes does)."""
    parts = [f"{c.field}: {c.message}" if c.field else c.message for c in causes]
    qualified = f"{kind}.{group}" if group else kind
    if len(parts) == 1:
        msg = f'{qualified} "{name}" is invalid: {parts[0]}'
    else:
        msg = f'{qualified} "{name}" is invalid: [{", ".join(parts)}]'
    return StatusError(422, "Invalid", msg, name=name, group=group, kind=kind, causes=tuple(causes))


def bad_request(message: str) -> StatusError:
    return StatusError(400, "BadRequest", message)


def unauthorized() -> StatusError:
    return StatusError(401, "Unauthorized", "Unauthorized")


def forbidden(message: str) -> StatusError:
    return StatusError(403, "Forbidden", message)


def method_not_allowed(
    message: str = "the server does not allow this method on the requested resource",
) -> StatusError:
    return StatusError(405, "MethodNotAllowed", message)


def not_acceptable(message: str) -> StatusError:
    return StatusError(406, "NotAcceptable", message)


def unsupported_media_type(content_type: str) -> StatusError:
    return StatusError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format - "
        f"accepted media types include: application/json-patch+json, "
        f"application/merge-patch+json, application/apply-patch+yaml "
        f'(got "{content_type}")',
    )


def gone(message: str) -> StatusError:
    return StatusError(410, "Expired", message)


def internal(message: str) -> StatusError:
    return StatusError(500, "InternalError", f"Internal error occurred: {message}")


def resource_not_found() -> StatusError:
    return StatusError(404, "NotFound", "the server could not find the requested resource")


def required(path: str) -> Cause:
    return Cause("FieldValueRequired", "Required value", path)


def invalid_value(path: str, value: Any, detail: str) -> Cause:
    import json

    shown = json.dumps(value) if not isinstance(value, str) else f'"{value}"'
    return Cause("FieldValueInvalid", f"Invalid value: {shown}: {detail}", path)


def forbidden_field(path: str, detail: str) -> Cause:
    return Cause("FieldValueForbidden", f"Forbidden: {detail}", path)


def unsupported_value(path: str, value: Any, supported: Sequence[str]) -> Cause:
    quoted = ", ".join(f'"{s}"' for s in supported)
    return Cause("FieldValueNotSupported", f'Unsupported value: "{value}": supported values: {quoted}', path)


def duplicate(path: str, value: Any) -> Cause:
    return Cause("FieldValueDuplicate", f'Duplicate value: "{value}"', path)
