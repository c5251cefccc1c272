"""Value types of the access matrix: identities, their policies, resources, cells and rows.

Owns the plain data that flows collect -> cells -> group -> render; no I/O and no judging here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Via = Literal["pod-identity", "irsa"]
PolicyDoc = tuple[str, Any]          # (name, document as dict or JSON text)


@dataclass(frozen=True)
class RolePolicies:
    """A role's identity policies (managed default versions, then inline) and its boundary."""

    role_arn: str
    identity: tuple[PolicyDoc, ...] = ()
    boundary: PolicyDoc | None = None
    tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Identity:
    """One ServiceAccount bound to a role (by a pod identity association or an IRSA annotation)."""

    cluster: str
    namespace: str
    service_account: str
    role_arn: str
    via: Via
    association_id: str | None = None
    session_policy: str | None = None      # the association's `policy` (a session policy)
    session_tags: bool = True              # pod identity: the EKS session tags (not disableSessionTags)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.service_account}"


@dataclass(frozen=True)
class Resource:
    """An existing resource: its IAM prefix, ARN, owner account and resource-based policy."""

    service: str                 # IAM prefix: s3, sqs, secretsmanager, kms, dynamodb, logs
    arn: str
    account: str | None = None
    policy: str | None = None    # JSON text of the bucket/queue/secret/key/table policy
    policy_name: str = "resource policy"
    parent: str | None = None    # S3 objects: the bucket ARN (whose policy applies)


@dataclass
class Inventory:
    """Everything the matrix is computed from."""

    cluster: str
    account: str
    region: str
    identities: list[Identity] = field(default_factory=list)
    roles: dict[str, RolePolicies] = field(default_factory=dict)
    resources: list[Resource] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)     # what could not be read, and why


@dataclass(frozen=True)
class Cell:
    """One decision: may `identity` perform `action` on `resource`?"""

    identity: str                # "namespace/serviceaccount"
    service: str
    action: str
    access_level: str
    resource: str
    decision: str                # allowed | implicit_deny | explicit_deny
    deciding: tuple[str, ...] = ()
    denied_in: str | None = None
    conditional: bool = False    # a matching statement has conditions: other requests may differ

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.identity, self.action, self.resource)


@dataclass(frozen=True)
class Row:
    """A readable range: actions of one access level on a range of resources with one decision."""

    identity: str
    role_arn: str
    service: str
    access_level: str
    resources: tuple[str, ...]    # the resources the row covers
    resource_label: str           # "arn:aws:s3:::b/allowed/*" (a pattern) or the one ARN
    actions: tuple[str, ...]
    decision: str
    deciding: tuple[str, ...]
    conditional: bool = False
