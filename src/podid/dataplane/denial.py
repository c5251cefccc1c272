"""AWS's exact AccessDenied responses for the data-plane services.

The judge (``podid.iam.denial_message``) words the message ("User: ARN is not authorized to perform:
ACTION on resource: RESOURCE because no identity-based policy allows the ACTION action");
:func:`service_message` applies each service's quirks, :func:`denial_response` wraps it in the
service's wire shape. Observed shapes (real error messages quoted in public issue threads):

* S3: 403, ``<Error><Code>AccessDenied</Code><Message>…</Message><RequestId/><HostId/></Error>``;
  resource ARN in double quotes (wire-facts §8).
* SQS: code ``AccessDenied`` (query protocol ``ErrorResponse``; JSON protocol carries it in
  ``x-amzn-query-error: AccessDenied;Sender``), 403, action printed lower-case
  ("not authorized to perform: sqs:sendmessage on resource: arn:aws:sqs:…").
* Secrets Manager: ``AccessDeniedException`` 400; "on resource:" shows the SecretId as the caller
  passed it (a bare name stays a name).
* DynamoDB: ``AccessDeniedException`` 400, ``__type`` ``com.amazon.coral.service#AccessDeniedException``.
* KMS, Logs: ``AccessDeniedException`` 400.
* CloudWatch: ``AccessDenied`` 403 (query-compatible), in CBOR, JSON or query XML like the request.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from xml.sax.saxutils import escape

from podid.dataplane.backend import RawResponse
from podid.dataplane.kit import AuthzItem
from podid.dataplane.services import spec

_JSON_TYPES = {"dynamodb": "application/x-amz-json-1.0", "sqs": "application/x-amz-json-1.0",
               "monitoring": "application/x-amz-json-1.0"}


def service_message(service: str, message: str, item: AuthzItem | None = None) -> str:
    """Adjust the judge's denial message to how ``service`` prints it."""
    if item is None:
        return message
    if service == "s3" and item.resource != "*":
        return message.replace(f"on resource: {item.resource}", f'on resource: "{item.resource}"')
    if service == "sqs":
        return message.replace(item.action, item.action.lower())
    if service == "secretsmanager" and item.message_resource:
        return message.replace(f"on resource: {item.resource}", f"on resource: {item.message_resource}")
    return message


def _header(headers: Iterable[tuple[str, str]] | Mapping[str, str] | None, name: str) -> str:
    if headers is None:
        return ""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    low = name.lower()
    return next((str(v) for k, v in pairs if str(k).lower() == low), "")


def request_protocol(service: str, headers: Iterable[tuple[str, str]] | Mapping[str, str] | None) -> str:
    """Which wire protocol the client spoke: rest-xml, json, query or cbor."""
    if service == "s3":
        return "rest-xml"
    ctype = _header(headers, "content-type").lower()
    if "cbor" in ctype or _header(headers, "smithy-protocol"):
        return "cbor"
    if "x-www-form-urlencoded" in ctype:
        return "query"
    return "json"


def denial_response(service: str, message: str, *, request_id: str, item: AuthzItem | None = None,
                    request_headers: Iterable[tuple[str, str]] | Mapping[str, str] | None = None,
                    host_id: str | None = None) -> RawResponse:
    """The response AWS sends when ``service`` denies a call (``message`` from the judge)."""
    msg = service_message(service, message, item)
    proto = request_protocol(service, request_headers)
    if service == "s3":
        host_id = host_id or secrets.token_urlsafe(48)
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                f"<Message>{escape(msg)}</Message><RequestId>{escape(request_id)}</RequestId>"
                f"<HostId>{escape(host_id)}</HostId></Error>")
        return RawResponse(403, [("Content-Type", "application/xml"), ("x-amz-request-id", request_id),
                                 ("x-amz-id-2", host_id)], body.encode())
    code, status = spec(service).access_denied
    query_compatible = service in ("sqs", "monitoring")
    if query_compatible:
        if proto == "query":
            ns = {"sqs": "http://queue.amazonaws.com/doc/2012-11-05/",
                  "monitoring": "http://monitoring.amazonaws.com/doc/2010-08-01/"}[service]
            body = (f'<?xml version="1.0"?><ErrorResponse xmlns="{ns}"><Error><Type>Sender</Type>'
                    f"<Code>{code}</Code><Message>{escape(msg)}</Message><Detail/></Error>"
                    f"<RequestId>{escape(request_id)}</RequestId></ErrorResponse>")
            return RawResponse(status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)],
                               body.encode())
        type_name = "com.amazon.coral.service#AccessDeniedException"
        headers = [("x-amzn-RequestId", request_id), ("x-amzn-query-error", f"{code};Sender")]
        payload = {"__type": type_name, "message": msg}
        if proto == "cbor":
            import cbor2

            headers += [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
            return RawResponse(status, headers, cbor2.dumps(payload))
        headers += [("Content-Type", _JSON_TYPES.get(service, "application/x-amz-json-1.0"))]
        return RawResponse(status, headers, json.dumps(payload).encode())
    type_name = ("com.amazon.coral.service#AccessDeniedException" if service == "dynamodb"
                 else "AccessDeniedException")
    raw = json.dumps({"__type": type_name, "Message": msg}).encode()
    return RawResponse(status, [("Content-Type", _JSON_TYPES.get(service, "application/x-amz-json-1.1")),
                             ("x-amzn-RequestId", request_id),
                             ("x-amzn-ErrorType", "AccessDeniedException")], raw)
