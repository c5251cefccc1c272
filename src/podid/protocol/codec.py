"""Server-side AWS wire protocols: parse a request, serialise a result or a ServiceError.

One implementation for every service and protocol (query, json, rest-json, rest-xml,
smithy-rpc-v2-cbor), driven by botocore's models through localstack's parser and serializer.
No service-specific XML or JSON is written by hand anywhere in podid.
"""

from __future__ import annotations

import base64
import functools
import json
import secrets
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree

from localstack.aws.api import CommonServiceException
from localstack.aws.protocol.parser import (
    OperationNotFoundParserError,
    RequestParser,
    RequestParserError,
    create_parser,
)
from localstack.aws.protocol.serializer import ResponseSerializer, create_serializer
from localstack.http import Request as LsRequest
from starlette.responses import Response
from werkzeug.datastructures import Headers

from podid.errors import ServiceError
from podid.protocol.models import service_model, service_protocols
from podid.protocol.wire import WireRequest

#: Error codes for "no such operation", per protocol (what AWS answers for a bad Action/target).
_UNKNOWN_OPERATION = {
    "query": ("InvalidAction", 400),
    "ec2": ("InvalidAction", 400),
    "json": ("UnknownOperationException", 400),
    "smithy-rpc-v2-cbor": ("UnknownOperationException", 400),
    "rest-json": ("UnknownOperationException", 404),
    "rest-xml": ("MethodNotAllowed", 405),
}


def request_protocol(service: str, request: WireRequest) -> str:
    """The protocol this request uses (multi-protocol services are told apart by their headers)."""
    protocols = service_protocols(service)
    if len(protocols) == 1:
        return protocols[0]
    if request.header("smithy-protocol") and "smithy-rpc-v2-cbor" in protocols:
        return "smithy-rpc-v2-cbor"
    if request.header("x-amz-target") and "json" in protocols:
        return "json"
    ctype = (request.header("content-type") or "").lower()
    if ("x-www-form-urlencoded" in ctype or "Action=" in request.query) and "query" in protocols:
        return "query"
    return protocols[0]


@functools.lru_cache(maxsize=512)
def _parser(service: str, protocol: str) -> RequestParser:
    return create_parser(service_model(service, protocol), protocol)


@functools.lru_cache(maxsize=512)
def _serializer(service: str, protocol: str) -> ResponseSerializer:
    return create_serializer(service_model(service, protocol), protocol)


def _ls_request(request: WireRequest) -> LsRequest:
    host = request.host
    hostname, _, port = host.partition(":")
    return LsRequest(
        method=request.method,
        path=request.path,
        query_string=request.query,
        headers=Headers(request.headers),
        body=request.body,
        scheme=request.scheme,
        remote_addr=request.client_ip,
        server=(hostname or "localhost", int(port) if port.isdigit() else None),
        raw_path=request.raw_path + (f"?{request.query}" if request.query else ""),
    )


def unknown_operation_error(service: str, protocol: str, name: str | None) -> ServiceError:
    """The service's own error for an operation it does not have."""
    code, status = _UNKNOWN_OPERATION.get(protocol, ("InvalidAction", 400))
    version = service_model(service).api_version
    what = name or "(none)"
    if protocol in ("query", "ec2"):
        message = f"Could not find operation {what} for version {version}"
    else:
        message = f"Unknown operation {what}"
    return ServiceError(code, message, status)


def _named_operation(request: WireRequest, protocol: str) -> str | None:
    """The operation a query/json request names (Action / X-Amz-Target), if any."""
    if protocol in ("query", "ec2"):
        return request.form_params().get("Action") or request.query_params().get("Action")
    if protocol == "json":
        target = request.header("x-amz-target")
        return target.split(".", 1)[-1] if target else None
    return None


def parse(service: str, request: WireRequest) -> tuple[str, dict[str, Any]]:
    """Parse ``request`` for ``service`` -> (operation name, params); raises ServiceError."""
    protocol = request_protocol(service, request)
    named = _named_operation(request, protocol)
    if named is not None and named not in service_model(service, protocol).operation_names:
        raise unknown_operation_error(service, protocol, named)
    try:
        operation, params = _parser(service, protocol).parse(_ls_request(request))
    except OperationNotFoundParserError as exc:
        name = request.form_params().get("Action") or request.query_params().get("Action")
        if not name and request.header("x-amz-target"):
            name = (request.header("x-amz-target") or "").split(".", 1)[-1]
        raise unknown_operation_error(service, protocol, name) from exc
    except RequestParserError as exc:
        raise ServiceError("InvalidRequest" if protocol == "rest-xml" else "ValidationError",
                           f"could not parse the request: {exc}", 400) from exc
    return operation.name, dict(params or {})


def _operation_model(service: str, protocol: str, operation: str | None) -> Any:
    model = service_model(service, protocol)
    if operation and operation in model.operation_names:
        return model.operation_model(operation)
    # Errors raised before the operation is known (authentication) use any operation's
    # envelope: the error body depends on the protocol, not the operation.
    return model.operation_model(model.operation_names[0])


def _to_starlette(ls_response: Any) -> Response:
    body = ls_response.get_data()
    headers = [(k, v) for k, v in ls_response.headers.items() if k.lower() != "content-length"]
    response = Response(content=body, status_code=ls_response.status_code)
    response.raw_headers = [(b"content-length", str(len(body)).encode())] + [
        (k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in headers
    ]
    return response


def serialize_result(
    service: str,
    operation: str,
    result: Mapping[str, Any],
    request: WireRequest,
    request_id: str,
) -> Response:
    """Serialise an operation's output dict into the service's wire format."""
    protocol = request_protocol(service, request)
    op_model = _operation_model(service, protocol, operation)
    ls_response = _serializer(service, protocol).serialize_to_response(
        dict(result), op_model, Headers(request.headers), request_id
    )
    return _to_starlette(ls_response)


def serialize_error(
    service: str,
    operation: str | None,
    error: ServiceError,
    request: WireRequest,
    request_id: str,
) -> Response:
    """Serialise a ServiceError as ``service`` answers errors (query XML, json ``__type``, ...)."""
    protocol = request_protocol(service, request)
    op_model = _operation_model(service, protocol, operation)
    exc = _exception(error, protocol, op_model.service_model.is_query_compatible)
    ls_response = _serializer(service, protocol).serialize_error_to_response(
        exc, op_model, Headers(request.headers), request_id
    )
    if service == "s3":
        _s3_error_envelope(ls_response)
    elif protocol in ("json", "rest-json"):
        _json_error_body(ls_response, op_model.service_model, protocol, error.message_member)
    response = _to_starlette(ls_response)
    response.status_code = error.status
    return response


@functools.lru_cache(maxsize=64)
def _named_exception(type_name: str) -> type[CommonServiceException]:
    """An exception class whose name is ``type_name``: query-compatible services' JSON/CBOR errors
    take ``__type`` from the class name (the code goes into ``x-amzn-query-error``)."""
    return type(type_name, (CommonServiceException,), {})


def _exception(error: ServiceError, protocol: str, query_compatible: bool) -> CommonServiceException:
    type_name = error.wire_type or error.code
    if query_compatible:
        return _named_exception(type_name)(error.code, error.message, error.status, error.sender_fault)
    code = type_name if protocol in ("json", "rest-json", "smithy-rpc-v2-cbor") else error.code
    return CommonServiceException(code, error.message, error.status, error.sender_fault)


def _json_error_body(ls_response: Any, model: Any, protocol: str, message_member: str | None) -> None:
    """JSON errors as AWS sends them: awsJson services answer in their own media type
    (``application/x-amz-json-1.0`` / ``1.1``, the model's ``jsonVersion``), not ``application/json``;
    ``message_member`` (``Message``) replaces the serialiser's ``message`` where the error asks for it."""
    ctype = str(ls_response.headers.get("Content-Type") or "")
    if "cbor" in ctype:
        return
    version = model.metadata.get("jsonVersion")
    if protocol == "json" and version:
        ls_response.headers["Content-Type"] = f"application/x-amz-json-{version}"
    if not message_member or message_member == "message":
        return
    try:
        body = json.loads(ls_response.get_data() or b"{}")
    except ValueError:
        return
    if isinstance(body, dict) and "message" in body and message_member not in body:
        renamed = {(message_member if k == "message" else k): v for k, v in body.items()}
        ls_response.set_data(json.dumps(renamed).encode())


def _s3_error_envelope(ls_response: Any) -> None:
    """S3's own error body: ``<Error><Code/><Message/><RequestId/><HostId/></Error>`` (no ``<Type>``),
    the HostId equal to a fresh ``x-amz-id-2`` header, as every S3 error carries."""
    body = ls_response.get_data()
    if not body:
        return
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return
    envelope = ElementTree.Element("Error")  # S3 errors carry no xmlns
    for node in root:
        name = node.tag.rsplit("}", 1)[-1]
        if name != "Type":
            ElementTree.SubElement(envelope, name).text = node.text
    host_id = base64.b64encode(secrets.token_bytes(57)).decode()
    ElementTree.SubElement(envelope, "HostId").text = host_id
    ls_response.headers["x-amz-id-2"] = host_id
    xml = '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(envelope, encoding="unicode")
    ls_response.set_data(xml.encode())
