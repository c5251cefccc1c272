"""Plain dataclasses the Store returns: the repository API's value types (no ORM objects leak out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NamedTuple

PrincipalKind = Literal["user", "role"]
Tags = list[dict[str, str]]


@dataclass(frozen=True)
class AccessKeyRecord:
    """A long-term access key with its secret and owning user (`repr` hides the secret)."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    status: str  # "Active" | "Inactive"
    user_name: str
    user_arn: str
    user_id: str
    account_id: str
    create_date: datetime


@dataclass(frozen=True)
class UserRecord:
    account_id: str
    name: str
    path: str
    user_id: str
    arn: str
    create_date: datetime
    tags: Tags
    permissions_boundary: str | None  # policy ARN


@dataclass(frozen=True)
class RoleRecord:
    account_id: str
    name: str
    path: str
    role_id: str
    arn: str
    create_date: datetime
    assume_role_policy_document: str
    description: str | None
    max_session_duration: int
    tags: Tags
    permissions_boundary: str | None  # policy ARN


@dataclass(frozen=True)
class PolicyRecord:
    """A managed policy, customer (`account_id` set) or AWS managed (`account_id` None)."""

    arn: str
    name: str
    path: str
    policy_id: str
    default_version_id: str
    attachment_count: int
    permissions_boundary_usage_count: int
    is_attachable: bool
    description: str | None
    create_date: datetime
    update_date: datetime
    tags: Tags
    account_id: str | None

    @property
    def aws_managed(self) -> bool:
        return self.account_id is None


@dataclass(frozen=True)
class PolicyVersionRecord:
    version_id: str
    document: str
    is_default: bool
    create_date: datetime


@dataclass(frozen=True)
class InlinePolicyRecord:
    principal_kind: PrincipalKind
    principal_name: str
    policy_name: str
    document: str


@dataclass(frozen=True)
class AttachedPolicy:
    policy_name: str
    policy_arn: str


@dataclass(frozen=True)
class OidcProviderRecord:
    account_id: str
    arn: str
    url: str  # without scheme, as IAM stores it: "oidc.eks.us-east-1.amazonaws.com/id/ABC"
    client_ids: list[str]
    thumbprints: list[str]
    tags: Tags
    create_date: datetime


@dataclass(frozen=True)
class PolicySource:
    """One policy document that applies to a principal; `name` is used in messages."""

    name: str
    document: str
    origin: Literal["managed", "inline", "boundary"]
    arn: str | None = None  # managed policies


class _IdentityAndBoundary(NamedTuple):
    identity: list[PolicySource]
    boundary: PolicySource | None


class PrincipalPolicies(_IdentityAndBoundary):
    """Identity policies and permissions boundary of a principal; unpacks as `(identity, boundary)`.

    `found` is False when the principal ARN names no existing user/role (then both are empty).
    """

    found: bool

    def __new__(
        cls, identity: list[PolicySource], boundary: PolicySource | None, found: bool = True
    ) -> PrincipalPolicies:
        self = super().__new__(cls, identity, boundary)
        self.found = found
        return self
