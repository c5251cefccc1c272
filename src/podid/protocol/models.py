"""botocore service models (with localstack's spec patches), cached, and name look-ups.

* :func:`service_model` - the model for a botocore service name, optionally for one protocol
  of a multi-protocol service (CloudWatch speaks smithy-rpc-v2-cbor, json and query).
* :func:`service_for_signing_name` - SigV4 credential-scope service -> botocore service name.
* :func:`service_for_target` - ``X-Amz-Target`` prefix -> botocore service name.

Importing localstack here loads only its spec/parser/serializer modules: no plugins, no threads,
nothing under ``~/.localstack`` (checked by tests/protocol).
"""

from __future__ import annotations

import functools

from botocore.model import ServiceModel
from localstack.aws.spec import load_service  # (environment prepared by podid.protocol)

#: Signing names that differ from the botocore service name.
_SIGNING_NAMES = {"monitoring": "cloudwatch", "email": "sesv2", "states": "stepfunctions"}

#: X-Amz-Target prefixes (the part before the dot) of JSON-protocol services podid may route.
_TARGETS = {
    "DynamoDB_20120810": "dynamodb",
    "TrentService": "kms",
    "secretsmanager": "secretsmanager",
    "AmazonSQS": "sqs",
    "Logs_20140328": "logs",
    "GraniteServiceVersion20100801": "cloudwatch",
    "AmazonSSM": "ssm",
    "Kinesis_20131202": "kinesis",
    "AWSEvents": "events",
    "AWSStepFunctions": "stepfunctions",
    "AWSSecurityTokenServiceV20110615": "sts",
}


class UnknownService(LookupError):
    """No botocore model for this service name."""


@functools.lru_cache(maxsize=256)
def service_model(service: str, protocol: str | None = None) -> ServiceModel:
    """The (patched) botocore model of ``service``; raises :class:`UnknownService`."""
    try:
        return load_service(service, protocol=protocol)  # type: ignore[arg-type]
    except Exception as exc:  # botocore UnknownServiceError, localstack UnknownServiceProtocolError
        raise UnknownService(service) from exc


def service_protocols(service: str) -> tuple[str, ...]:
    """Every wire protocol the service speaks, its default first."""
    model = service_model(service)
    default = model.protocol
    others = [p for p in model.metadata.get("protocols", []) if p != default]
    if "awsQueryCompatible" in model.metadata and default != "query" and "query" not in others:
        others.append("query")  # SQS still accepts its legacy query protocol (localstack has the model)
    return (default, *others)


def service_for_signing_name(name: str) -> str:
    """botocore service name for a SigV4 scope service name (``monitoring`` -> ``cloudwatch``)."""
    return _SIGNING_NAMES.get(name, name)


def service_for_target(target: str) -> str | None:
    """botocore service name for an ``X-Amz-Target`` header value, or None."""
    prefix = target.split(".", 1)[0]
    return _TARGETS.get(prefix)


def signing_name(service: str) -> str:
    """The SigV4 scope name clients use for ``service`` (``cloudwatch`` -> ``monitoring``)."""
    model = service_model(service)
    return str(model.metadata.get("signingName") or model.metadata.get("endpointPrefix") or service)
