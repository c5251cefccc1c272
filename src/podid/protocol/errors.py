"""Errors as the botocore model defines them: code, HTTP status and fault from the error shape.

``errors = ModelErrors("eks")`` then ``errors.raise_for("ResourceNotFoundException", msg)`` or
``not_found = errors.factory("ResourceNotFoundException")``: the status (404) is read from the
service's model (``error.httpStatusCode``), never typed by hand, and a code the model does not
define fails at import.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from podid.errors import ServiceError
from podid.protocol.models import service_model


@functools.lru_cache(maxsize=64)
def modelled_status(service: str, code: str) -> tuple[int, bool]:
    """(HTTP status, sender fault) of ``service``'s error shape ``code``; KeyError if not modelled."""
    for shape in service_model(service).error_shapes:
        if shape.name == code or shape.metadata.get("error", {}).get("code") == code:
            error = shape.metadata.get("error", {})
            status = int(error.get("httpStatusCode", 400))
            return status, bool(error.get("senderFault", status < 500))
    raise KeyError(f"{service} models no error {code}")


class ModelErrors:
    """The modelled errors of one service."""

    def __init__(self, service: str) -> None:
        self.service = service

    def error(self, code: str, message: str) -> ServiceError:
        status, sender = modelled_status(self.service, code)
        return ServiceError(code, message, status, sender_fault=sender)

    def factory(self, code: str) -> Callable[[str], ServiceError]:
        """A constructor ``message -> ServiceError`` for ``code`` (checked against the model now)."""
        modelled_status(self.service, code)
        return functools.partial(self.error, code)
