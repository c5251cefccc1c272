"""Server-side input validation from the botocore model: required members, types, lengths, ranges.

AWS's front end (Coral) refuses a request whose members do not fit the operation's input shape
before any service code runs ("1 validation error detected: Value null at 'tableName' failed to
satisfy constraint: Member must not be null"). moto does not, and crashes on some such input, so
the data plane checks every parsed request against the same model botocore's client-side
``ParamValidator`` uses. The error code is the protocol's: ``ValidationException`` (JSON
protocols), ``ValidationError`` (query protocols).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from botocore.validate import ParamValidator

from podid.errors import ServiceError
from podid.protocol.models import service_model

#: The validation error code of each protocol (S3, rest-xml: MalformedXML / InvalidArgument).
_CODES = {"json": "ValidationException", "query": "ValidationError",
          "smithy-rpc-v2-cbor": "ValidationException"}


@functools.lru_cache(maxsize=1)
def _validator() -> ParamValidator:
    return ParamValidator()


def _member(path: str) -> str:
    """botocore's report path (``.Key.a``) -> AWS's (``key.a``)."""
    name = path.lstrip(".") or "input"
    return name[:1].lower() + name[1:]


def malformed_xml() -> ServiceError:
    """S3's answer to an XML body it cannot read."""
    return ServiceError("MalformedXML", "The XML you provided was not well-formed or did not validate "
                        "against our published schema", 400)


def _present(value: Any) -> Any:
    """``value`` without the None members a parser leaves for absent headers and elements."""
    if isinstance(value, Mapping):
        return {k: _present(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_present(v) for v in value]
    return value


def problems(service: str, operation: str, params: Mapping[str, Any], protocol: str) -> list[str]:
    """AWS-style constraint messages for ``params`` (empty when they fit the input shape)."""
    shape = service_model(service, protocol).operation_model(operation).input_shape
    if shape is None:
        return []
    report = _validator().validate(_present(params), shape)
    out = []
    for kind, name, detail in report._errors:
        member = _member(name)
        if kind == "missing required field":
            missing = _member(f"{name}.{detail['required_name']}")
            out.append(f"Value null at '{missing}' failed to satisfy constraint: Member must not be null")
        elif kind == "invalid length":
            out.append(f"Value at '{member}' failed to satisfy constraint: Member must have length greater "
                       f"than or equal to {detail.get('min_allowed')}")
        elif kind == "invalid range":
            out.append(f"Value '{detail.get('param')}' at '{member}' failed to satisfy constraint: Member "
                       f"must have value greater than or equal to {detail.get('min_allowed')}")
        elif kind == "unknown field":
            continue     # AWS ignores members it does not model
        else:
            out.append(f"Value at '{member}' failed to satisfy constraint: Member must be of the modelled "
                       "type")
    return out


def check(service: str, operation: str, params: Mapping[str, Any], protocol: str) -> None:
    """Raise the protocol's validation error when ``params`` do not fit the operation's input."""
    found = problems(service, operation, params, protocol)
    if not found:
        return
    if protocol == "rest-xml":   # S3: a missing or unreadable XML body is MalformedXML
        shape = service_model(service, protocol).operation_model(operation).input_shape
        payload = shape.serialization.get("payload") if shape is not None else None
        if payload and any(f"'{_member(payload)}" in p for p in found):
            raise malformed_xml()
        raise ServiceError("InvalidArgument", "; ".join(found), 400)
    code = _CODES.get(protocol)
    if code is not None:
        count = f"{len(found)} validation error{'s' if len(found) > 1 else ''} detected: "
        raise ServiceError(code, count + "; ".join(found), 400)
