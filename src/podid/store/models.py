"""SQLAlchemy 2 ORM models of the IAM entities and the generic key/value table.

Schema changes go through alembic migrations in `podid/store/migrations/versions/`; later components
(EKS clusters, addons, pod identity associations, Kubernetes objects) add their own tables with new
migrations, or use the namespaced `podid_kv` table. Times are stored as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, UTC, whole seconds (as IAM reports times)."""
    return datetime.now(UTC).replace(microsecond=0)


class Base(DeclarativeBase):
    pass


class Meta(Base):
    """Integer counters, e.g. `generation` (bumped on every IAM write)."""

    __tablename__ = "podid_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, nullable=False)


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(12), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "iam_users"
    __table_args__ = (UniqueConstraint("account_id", "name_key", name="uq_iam_users_name"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    # lower(name): IAM names are unique case-insensitively
    name_key: Mapped[str] = mapped_column(String(64), nullable=False)
    path: Mapped[str] = mapped_column(String(512), nullable=False)
    user_id: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    arn: Mapped[str] = mapped_column(String(1024), nullable=False)
    tags: Mapped[list[dict[str, str]]] = mapped_column(JSON, nullable=False, default=list)
    boundary_arn: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    access_keys: Mapped[list[AccessKey]] = relationship(back_populates="user")


class AccessKey(Base):
    __tablename__ = "iam_access_keys"
    access_key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    user_pk: Mapped[int] = mapped_column(ForeignKey("iam_users.pk"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    user: Mapped[User] = relationship(back_populates="access_keys")


class Role(Base):
    __tablename__ = "iam_roles"
    __table_args__ = (UniqueConstraint("account_id", "name_key", name="uq_iam_roles_name"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    name_key: Mapped[str] = mapped_column(String(64), nullable=False)
    path: Mapped[str] = mapped_column(String(512), nullable=False)
    role_id: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    arn: Mapped[str] = mapped_column(String(1024), nullable=False)
    trust_policy: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str | None] = mapped_column(String(1000))
    max_session_duration: Mapped[int] = mapped_column(Integer, nullable=False, default=3600)
    tags: Mapped[list[dict[str, str]]] = mapped_column(JSON, nullable=False, default=list)
    boundary_arn: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ManagedPolicy(Base):
    """A customer managed policy (AWS managed policies are vendored data, not rows)."""

    __tablename__ = "iam_policies"
    __table_args__ = (UniqueConstraint("account_id", "name_key", name="uq_iam_policies_name"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    name_key: Mapped[str] = mapped_column(String(128), nullable=False)
    path: Mapped[str] = mapped_column(String(512), nullable=False)
    policy_id: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    arn: Mapped[str] = mapped_column(String(1024), nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(String(1000))
    default_version: Mapped[str] = mapped_column(String(16), nullable=False)
    next_version: Mapped[int] = mapped_column(Integer, nullable=False)
    tags: Mapped[list[dict[str, str]]] = mapped_column(JSON, nullable=False, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    versions: Mapped[list[PolicyVersion]] = relationship(
        back_populates="policy", cascade="all, delete-orphan", order_by="PolicyVersion.pk"
    )


class PolicyVersion(Base):
    __tablename__ = "iam_policy_versions"
    __table_args__ = (UniqueConstraint("policy_pk", "version_id", name="uq_iam_policy_versions"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    policy_pk: Mapped[int] = mapped_column(ForeignKey("iam_policies.pk", ondelete="CASCADE"), nullable=False)
    version_id: Mapped[str] = mapped_column(String(16), nullable=False)
    document: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    policy: Mapped[ManagedPolicy] = relationship(back_populates="versions")


class RolePolicy(Base):
    """An inline policy embedded in a role."""

    __tablename__ = "iam_role_policies"
    __table_args__ = (UniqueConstraint("role_pk", "name", name="uq_iam_role_policies"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    role_pk: Mapped[int] = mapped_column(ForeignKey("iam_roles.pk"), nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    document: Mapped[str] = mapped_column(Text, nullable=False)


class UserPolicy(Base):
    """An inline policy embedded in a user."""

    __tablename__ = "iam_user_policies"
    __table_args__ = (UniqueConstraint("user_pk", "name", name="uq_iam_user_policies"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("iam_users.pk"), nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    document: Mapped[str] = mapped_column(Text, nullable=False)


class RoleAttachment(Base):
    """A managed policy attached to a role; `policy_pk` is NULL for AWS managed policies."""

    __tablename__ = "iam_role_attachments"
    __table_args__ = (UniqueConstraint("role_pk", "policy_arn", name="uq_iam_role_attachments"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    role_pk: Mapped[int] = mapped_column(ForeignKey("iam_roles.pk"), nullable=False)
    policy_arn: Mapped[str] = mapped_column(String(1024), nullable=False, index=True)
    policy_pk: Mapped[int | None] = mapped_column(ForeignKey("iam_policies.pk"))


class UserAttachment(Base):
    """A managed policy attached to a user; `policy_pk` is NULL for AWS managed policies."""

    __tablename__ = "iam_user_attachments"
    __table_args__ = (UniqueConstraint("user_pk", "policy_arn", name="uq_iam_user_attachments"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("iam_users.pk"), nullable=False)
    policy_arn: Mapped[str] = mapped_column(String(1024), nullable=False, index=True)
    policy_pk: Mapped[int | None] = mapped_column(ForeignKey("iam_policies.pk"))


class OidcProvider(Base):
    __tablename__ = "iam_oidc_providers"
    __table_args__ = (UniqueConstraint("account_id", "url", name="uq_iam_oidc_providers_url"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    url: Mapped[str] = mapped_column(String(512), nullable=False)
    arn: Mapped[str] = mapped_column(String(1024), nullable=False, unique=True)
    client_ids: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    thumbprints: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    tags: Mapped[list[dict[str, str]]] = mapped_column(JSON, nullable=False, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class KeyValue(Base):
    """Namespaced JSON values for components that do not (yet) need their own tables."""

    __tablename__ = "podid_kv"
    namespace: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
