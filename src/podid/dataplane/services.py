"""The registry of data-plane services: one :class:`~podid.dataplane.kit.ServiceSpec` per service
module, and the dispatch from a request to its service's authorization items.

Adding a service means one new module (its ``SPEC``) and one line in :data:`SPECS`.
"""

from __future__ import annotations

from podid.dataplane import cloudwatch, dynamodb, kms, logs, s3, secretsmanager, sqs
from podid.dataplane.kit import AuthzItem, DataplaneRequest, Lookup, NullLookup, ServiceSpec

SPECS: tuple[ServiceSpec, ...] = (
    s3.SPEC,
    secretsmanager.SPEC,
    sqs.SPEC,
    dynamodb.SPEC,
    kms.SPEC,
    cloudwatch.SPEC,
    logs.SPEC,
)

#: SigV4 scope name -> spec.
BY_SCOPE: dict[str, ServiceSpec] = {s.scope: s for s in SPECS}
#: botocore model name (what the gateway routes by) -> spec.
BY_BOTOCORE: dict[str, ServiceSpec] = {s.botocore: s for s in SPECS}

#: SigV4 scope names of every served data-plane service.
SERVICES: tuple[str, ...] = tuple(BY_SCOPE)
#: SigV4 scope name -> IAM action prefix.
IAM_PREFIX: dict[str, str] = {s.scope: s.iam_prefix for s in SPECS}


def spec(name: str) -> ServiceSpec:
    """The spec of a data-plane service, by SigV4 scope name or botocore name."""
    found = BY_SCOPE.get(name) or BY_BOTOCORE.get(name)
    if found is None:
        raise ValueError(f"unsupported data-plane service: {name}")
    return found


def moto_name(service: str) -> str:
    """moto's backend name for a SigV4 scope name (``monitoring`` -> ``cloudwatch``)."""
    return spec(service).moto


def botocore_name(service: str) -> str:
    """botocore's service model name for a SigV4 scope name."""
    return spec(service).botocore


def authorization_items(request: DataplaneRequest, lookup: Lookup | None = None) -> list[AuthzItem]:
    """All authorization requests for ``request`` (each must be allowed: S3 CopyObject yields two,
    DeleteObjects one per key, DynamoDB batch calls one per table)."""
    return spec(request.service).items(request, lookup or NullLookup())
