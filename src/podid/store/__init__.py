"""podid.store: durable state (SQLAlchemy 2 models, alembic migrations, repositories).

`Store.open(url)` migrates and returns the repository object; records are plain dataclasses and
failures are `StoreError`s carrying IAM's code, status and message.
"""

from podid.store.engine import default_url
from podid.store.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
    StoreError,
    ValidationFailed,
)
from podid.store.records import (
    AccessKeyRecord,
    AttachedPolicy,
    InlinePolicyRecord,
    OidcProviderRecord,
    PolicyRecord,
    PolicySource,
    PolicyVersionRecord,
    PrincipalPolicies,
    RoleRecord,
    UserRecord,
)
from podid.store.store import ADMIN_POLICY, ADMIN_USER, Store

__all__ = [
    "ADMIN_POLICY",
    "ADMIN_USER",
    "AccessKeyRecord",
    "AttachedPolicy",
    "DeleteConflict",
    "EntityAlreadyExists",
    "InlinePolicyRecord",
    "InvalidInput",
    "LimitExceeded",
    "NoSuchEntity",
    "OidcProviderRecord",
    "PolicyRecord",
    "PolicySource",
    "PolicyVersionRecord",
    "PrincipalPolicies",
    "RoleRecord",
    "Store",
    "StoreError",
    "UserRecord",
    "ValidationFailed",
    "default_url",
]
