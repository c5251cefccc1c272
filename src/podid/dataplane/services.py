"""The data-plane services podid serves: SigV4 scope names, IAM prefixes and moto names."""

from __future__ import annotations

#: SigV4 credential-scope service name -> IAM action prefix.
IAM_PREFIX: dict[str, str] = {
    "s3": "s3",
    "secretsmanager": "secretsmanager",
    "sqs": "sqs",
    "dynamodb": "dynamodb",
    "kms": "kms",
    "monitoring": "cloudwatch",
    "logs": "logs",
}

#: SigV4 scope name -> moto backend name.
_MOTO_NAME: dict[str, str] = {"monitoring": "cloudwatch"}

#: botocore model name (``boto3.client(NAME)``) for each scope name.
BOTOCORE_NAME: dict[str, str] = {"monitoring": "cloudwatch"}

SERVICES: tuple[str, ...] = tuple(IAM_PREFIX)


def moto_name(service: str) -> str:
    """moto's backend name for a SigV4 scope name (``monitoring`` -> ``cloudwatch``)."""
    return _MOTO_NAME.get(service, service)


def botocore_name(service: str) -> str:
    """botocore's service model name for a SigV4 scope name."""
    return BOTOCORE_NAME.get(service, service)
