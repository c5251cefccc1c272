"""Turn a parsed data-plane request into the IAM authorization requests it needs.

Entry point: :func:`authorization_items`. Every returned :class:`AuthzItem` must be allowed for the
call to proceed (S3 CopyObject yields two, DeleteObjects one per key, DynamoDB batch calls one per
table). The action comes from a table: ``<iam prefix>:<OperationName>`` unless the service module's
``ACTIONS`` override table says otherwise (see :mod:`podid.dataplane.actions`). Resource ARNs and
condition keys are derived per service; facts only the backend knows (secret ARN suffixes, KMS
aliases, tags, DynamoDB key schemas, S3 object tags) come through a :class:`Lookup`.

Global condition keys (aws:PrincipalArn, aws:SourceIp, aws:SecureTransport, aws:CurrentTime,
aws:RequestedRegion, ...) are the gateway's business, not this module's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

ContextValue = str | list[str]
Context = dict[str, ContextValue]


@dataclass(frozen=True)
class ResourceOwner:
    """Who owns the resource and its resource-based policy (JSON text), as the backend knows it."""

    account: str | None = None
    policy: str | None = None


@dataclass(frozen=True)
class AuthzItem:
    """One IAM authorization request: ``action`` on ``resource`` with condition ``context``.

    ``resource_owner_lookup`` (lazy; None when the resource has no owner to look up, e.g. ``*``)
    returns the owning account and the resource policy to hand to the judge.
    ``message_resource`` is what AWS prints after "on resource:" in its denial message when that
    differs from the ARN (Secrets Manager prints the SecretId as the caller gave it).
    """

    action: str
    resource: str
    context: Context = field(default_factory=dict)
    resource_owner_lookup: Callable[[], ResourceOwner] | None = None
    message_resource: str | None = None


@dataclass(frozen=True)
class DataplaneRequest:
    """A parsed data-plane call (params = botocore input-shape members, as the parser returns them)."""

    service: str                       # SigV4 scope name (monitoring for CloudWatch)
    operation: str                     # botocore operation name
    params: Mapping[str, Any]
    region: str
    account: str                       # podid's account (owner of every backend resource)
    bucket: str | None = None          # S3: from the path / virtual host
    key: str | None = None             # S3: object key from the path
    caller_account: str | None = None  # for kms:CallerAccount


class Lookup(Protocol):
    """Backend facts needed to build resources and context keys (see podid.dataplane.lookup)."""

    def s3_object_tags(self, bucket: str, key: str, version_id: str | None) -> dict[str, str] | None: ...
    def s3_bucket_policy(self, bucket: str) -> str | None: ...
    def secret_arn(self, region: str, secret_id: str) -> str | None: ...
    def secret_tags(self, region: str, secret_id: str) -> dict[str, str]: ...
    def secret_policy(self, region: str, secret_id: str) -> str | None: ...
    def sqs_tags(self, region: str, queue: str) -> dict[str, str]: ...
    def sqs_policy(self, region: str, queue: str) -> str | None: ...
    def dynamodb_key_schema(self, region: str, table: str) -> tuple[str, str | None] | None: ...
    def dynamodb_tags(self, region: str, table_arn: str) -> dict[str, str]: ...
    def dynamodb_policy(self, region: str, table_arn: str) -> str | None: ...
    def kms_key_id(self, region: str, key_ref: str) -> str | None: ...
    def kms_key_id_from_ciphertext(self, region: str, blob: bytes) -> str | None: ...
    def kms_tags(self, region: str, key_id: str) -> dict[str, str]: ...
    def kms_policy(self, region: str, key_id: str) -> str | None: ...
    def logs_group_tags(self, region: str, group: str) -> dict[str, str]: ...
    def cloudwatch_tags(self, region: str, arn: str) -> dict[str, str]: ...


class NullLookup:
    """A Lookup that knows nothing (pure unit tests; resources that do not exist yet)."""

    def s3_object_tags(self, bucket: str, key: str, version_id: str | None) -> dict[str, str] | None:
        return None

    def s3_bucket_policy(self, bucket: str) -> str | None:
        return None

    def secret_arn(self, region: str, secret_id: str) -> str | None:
        return None

    def secret_tags(self, region: str, secret_id: str) -> dict[str, str]:
        return {}

    def secret_policy(self, region: str, secret_id: str) -> str | None:
        return None

    def sqs_tags(self, region: str, queue: str) -> dict[str, str]:
        return {}

    def sqs_policy(self, region: str, queue: str) -> str | None:
        return None

    def dynamodb_key_schema(self, region: str, table: str) -> tuple[str, str | None] | None:
        return None

    def dynamodb_tags(self, region: str, table_arn: str) -> dict[str, str]:
        return {}

    def dynamodb_policy(self, region: str, table_arn: str) -> str | None:
        return None

    def kms_key_id(self, region: str, key_ref: str) -> str | None:
        return None

    def kms_key_id_from_ciphertext(self, region: str, blob: bytes) -> str | None:
        return None

    def kms_tags(self, region: str, key_id: str) -> dict[str, str]:
        return {}

    def kms_policy(self, region: str, key_id: str) -> str | None:
        return None

    def logs_group_tags(self, region: str, group: str) -> dict[str, str]:
        return {}

    def cloudwatch_tags(self, region: str, arn: str) -> dict[str, str]:
        return {}


def tag_context(ctx: Context, tags: Mapping[str, str], prefix: str = "aws:ResourceTag/") -> None:
    """Add ``<prefix><key>`` for every tag."""
    for k, v in tags.items():
        ctx[f"{prefix}{k}"] = v


def request_tag_context(ctx: Context, tags: Mapping[str, str] | None) -> None:
    """aws:RequestTag/<k> for each tag in the request, and aws:TagKeys (multivalued)."""
    if tags is None:
        return
    tag_context(ctx, tags, "aws:RequestTag/")
    ctx["aws:TagKeys"] = list(tags)


def tag_list(tags: Any, key: str = "Key", value: str = "Value") -> dict[str, str] | None:
    """Normalise a request's tags (list of {Key, Value} or a mapping) to a dict; None if absent."""
    if tags is None:
        return None
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    out: dict[str, str] = {}
    for t in tags:
        if isinstance(t, Mapping) and key in t:
            out[str(t[key])] = str(t.get(value, ""))
    return out


def owner(account: str, policy: Callable[[], str | None] | None = None) -> Callable[[], ResourceOwner]:
    """A lazy resource-owner lookup for a resource in ``account``."""
    def _lookup() -> ResourceOwner:
        return ResourceOwner(account=account, policy=policy() if policy else None)
    return _lookup


def authorization_items(request: DataplaneRequest, lookup: Lookup | None = None) -> list[AuthzItem]:
    """All authorization requests for ``request``; each must be allowed."""
    from podid.dataplane import cloudwatch, dynamodb, kms, logs, s3, secretsmanager, sqs

    builders: dict[str, Callable[[DataplaneRequest, Lookup], list[AuthzItem]]] = {
        "s3": s3.items,
        "secretsmanager": secretsmanager.items,
        "sqs": sqs.items,
        "dynamodb": dynamodb.items,
        "kms": kms.items,
        "monitoring": cloudwatch.items,
        "cloudwatch": cloudwatch.items,
        "logs": logs.items,
    }
    build = builders.get(request.service)
    if build is None:
        raise ValueError(f"unsupported data-plane service: {request.service}")
    return build(request, lookup or NullLookup())


def as_list(value: Any) -> Sequence[Any]:
    """``value`` as a list (None -> [])."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return value
    return [value]
