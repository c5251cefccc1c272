"""The data-plane kit: the types and helpers every service module builds its authorization from.

A service module (:mod:`podid.dataplane.s3`, ``sqs``, ...) knows one AWS service: how its requests
become IAM authorization requests (:class:`AuthzItem`: action, resource ARN, condition keys), which
resource policy it keeps, and how it names itself to SigV4, IAM, botocore and moto. It describes all
of that in one :class:`ServiceSpec`; :mod:`podid.dataplane.services` lists the specs. This module
sits at the bottom: it imports no service module.

Facts only the backend knows (secret ARN suffixes, KMS aliases, tags, DynamoDB key schemas, S3
object tags) come through a :class:`Lookup`. Global condition keys (aws:PrincipalArn, aws:SourceIp,
aws:SecureTransport, aws:CurrentTime, aws:RequestedRegion, ...) are the gateway's business.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from podid.iam.catalogue import Catalogue
from podid.iam.tagkeys import request_tag_keys, tag_keys

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
    """Add ``<prefix><key>`` for every tag (the resource's, by default)."""
    ctx.update(tag_keys(tags, prefix))


def request_tag_context(ctx: Context, tags: Mapping[str, str] | None) -> None:
    """aws:RequestTag/<k> for each tag in the request, and aws:TagKeys (multivalued)."""
    ctx.update(request_tag_keys(tags))


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


def as_list(value: Any) -> Sequence[Any]:
    """``value`` as a list (None -> [])."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return value
    return [value]


def action_for(iam_prefix: str, operation: str, overrides: Mapping[str, str]) -> str:
    """``<iam prefix>:<Operation>`` unless ``overrides`` names the operation's action."""
    return f"{iam_prefix}:{overrides.get(operation, operation)}"


def catalogue_has(action: str) -> bool:
    """Whether ``prefix:Name`` is a documented IAM action (case-insensitive)."""
    return Catalogue.load().action(action) is not None


ItemsBuilder = Callable[[DataplaneRequest, Lookup], list[AuthzItem]]


@dataclass(frozen=True)
class PolicyParam:
    """Where an operation carries a resource policy, and the service's error for a malformed one."""

    path: tuple[str, ...]
    error_code: str


#: The ``__type`` of an IAM denial in DynamoDB, SQS (JSON) and CloudWatch (JSON/CBOR) answers.
CORAL_ACCESS_DENIED = "com.amazon.coral.service#AccessDeniedException"


@dataclass(frozen=True)
class ServiceSpec:
    """Everything podid knows about one data-plane service, in one place.

    * ``scope``: the SigV4 credential-scope name (``monitoring`` for CloudWatch); the data plane's key;
    * ``botocore``: botocore's model name (what the gateway routes by, ``boto3.client(NAME)``);
    * ``iam_prefix``: the IAM action prefix; ``moto``: the moto backend name;
    * ``actions``: operations whose IAM action is not named like the operation;
    * ``items``: request -> the authorization items that must all be allowed;
    * ``policy_name``: what the judge calls the resource policy in a deciding-statement reference;
    * ``policy_params``: operation -> where it sets a resource policy (validated before the backend);
    * ``access_denied``: (error code, HTTP status) of an IAM denial; ``denial_type``: the JSON/CBOR
      ``__type`` AWS prints for it when that is not the code (:data:`CORAL_ACCESS_DENIED`);
      ``denial_message_member``: the JSON member of its message (``Message``; the query-compatible
      SQS and CloudWatch print ``message``).
    """

    scope: str
    botocore: str
    iam_prefix: str
    moto: str
    items: ItemsBuilder
    access_denied: tuple[str, int]
    actions: Mapping[str, str] = field(default_factory=dict)
    policy_name: str = "resource policy"
    policy_params: Mapping[str, PolicyParam] = field(default_factory=dict)
    denial_type: str | None = None
    denial_message_member: str = "Message"

    def action(self, operation: str) -> str:
        """The IAM action of ``operation``."""
        return action_for(self.iam_prefix, operation, self.actions)
