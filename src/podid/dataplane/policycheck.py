"""Validate resource policies set through the services' own APIs, before the backend stores them.

moto stores whatever text it is given; AWS parses the policy and refuses a malformed one with the
service's own error. Every policy the judge will later read goes through ``podid.iam.parse_policy``
(kind ``resource``) here, so a stored policy always compiles. Errors, per service (AWS's codes):

* S3 PutBucketPolicy: ``MalformedPolicy`` 400;
* Secrets Manager PutResourcePolicy, KMS PutKeyPolicy / CreateKey: ``MalformedPolicyDocumentException`` 400;
* SQS CreateQueue / SetQueueAttributes ``Policy`` attribute: ``InvalidAttributeValue`` 400;
* DynamoDB PutResourcePolicy: ``ValidationException`` 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podid.dataplane.services import spec
from podid.errors import ServiceError
from podid.iam import PolicyError, parse_policy


def _dig(params: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = params
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def policy_text(service: str, operation: str, params: Mapping[str, Any]) -> str | None:
    """The resource policy text this call sets, if any."""
    param = spec(service).policy_params.get(operation)
    if param is None:
        return None
    value = _dig(params, param.path)
    if value is None or value == "":
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def check_policy_update(service: str, operation: str, params: Mapping[str, Any]) -> None:
    """Raise the service's own error if this call sets a resource policy the judge cannot parse."""
    text = policy_text(service, operation, params)
    if text is None:
        return
    code = spec(service).policy_params[operation].error_code
    try:
        parse_policy(text, kind="resource", name="policy")
    except PolicyError as exc:
        if code == "InvalidAttributeValue":
            message = f"Invalid value for the parameter Policy. Reason: {exc.message}"
        elif code == "MalformedPolicy" and exc.message == "Syntax errors in policy.":
            message = "Policies must be valid JSON and the first byte must be '{'"
        else:
            message = exc.message
        raise ServiceError(code, message, 400) from exc
