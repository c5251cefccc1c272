"""AWS's exact AccessDenied errors for the data-plane services (the wire shape is the protocol's).

The judge (``podid.iam.denial_message``) words the message ("User: ARN is not authorized to perform:
ACTION on resource: RESOURCE because no identity-based policy allows the ACTION action");
:func:`service_message` applies each service's quirks and :func:`denial_error` makes the
:class:`~podid.errors.ServiceError` (code and status from the service's ``SPEC.access_denied``,
``__type`` from ``SPEC.denial_type``, JSON message member from ``SPEC.denial_message_member``) that
:func:`podid.protocol.codec.serialize_error` writes in the request's protocol, like every other error.
Observed shapes (real error messages quoted in public issue threads):

* S3: 403 ``<Error><Code>AccessDenied</Code><Message>…</Message><RequestId/><HostId/></Error>``;
  resource ARN in double quotes (wire-facts §8).
* SQS: code ``AccessDenied`` 403 (query ``ErrorResponse``; JSON: ``__type``
  ``com.amazon.coral.service#AccessDeniedException`` + ``x-amzn-query-error: AccessDenied;Sender``),
  action printed lower-case ("not authorized to perform: sqs:sendmessage on resource: …").
* Secrets Manager: ``AccessDeniedException`` 400; "on resource:" shows the SecretId as the caller
  passed it (a bare name stays a name).
* DynamoDB: ``AccessDeniedException`` 400, ``__type`` ``com.amazon.coral.service#AccessDeniedException``
  (``{"Message": "User: … is not authorized …", "__type": "com.amazon.coral.service#…"}``).
* KMS, Logs: ``AccessDeniedException`` 400. The awsJson ones answer ``application/x-amz-json-1.0``
  / ``1.1`` with the message in ``Message``; SQS and CloudWatch JSON/CBOR in ``message``.
* CloudWatch: ``AccessDenied`` 403 (query-compatible), in CBOR, JSON or query XML like the request.
"""

from __future__ import annotations

from podid.dataplane.kit import AuthzItem
from podid.dataplane.services import spec
from podid.errors import ServiceError


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


def denial_error(service: str, message: str, item: AuthzItem | None = None) -> ServiceError:
    """The error AWS answers when ``service`` (a SigV4 scope) denies a call (``message``: the judge's)."""
    svc = spec(service)
    code, status = svc.access_denied
    return ServiceError(code, service_message(service, message, item), status, wire_type=svc.denial_type,
                        message_member=svc.denial_message_member)
