"""ORM models of the IAM entities, the accounts, the `podid_meta` counters and the generic key/value table.

Migration 0001_iam creates these tables from here. Users and roles share their columns through
`_Principal`; the role/user inline policies and attachments are twins (`_InlinePolicy`,
`_Attachment`). `sort_order` keeps each table's column order as 0001_iam first created it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Connection, ForeignKey, Integer, String, Text, UniqueConstraint, insert
from sqlalchemy.orm import Mapped, mapped_column, relationship

from podid.store.schema.base import Base, UTCDateTime, utcnow


class Meta(Base):
    """Integer counters, e.g. `generation` (bumped on every IAM write)."""

    __tablename__ = "podid_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, nullable=False)


#: the `podid_meta` counter bumped by every IAM write
GENERATION = "generation"


def seed(conn: Connection) -> None:
    """The rows a new database starts with: the generation counter at 0."""
    conn.execute(insert(Meta).values(key=GENERATION, value=0))


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(12), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class _Principal:
    """Columns users and roles share. `name_key` is lower(name): IAM names are unique
    case-insensitively within an account."""

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True, sort_order=-3)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), nullable=False, sort_order=-3)
    name: Mapped[str] = mapped_column(String(64), nullable=False, sort_order=-3)
    name_key: Mapped[str] = mapped_column(String(64), nullable=False, sort_order=-3)
    path: Mapped[str] = mapped_column(String(512), nullable=False, sort_order=-3)
    arn: Mapped[str] = mapped_column(String(1024), nullable=False, sort_order=-1)
    tags: Mapped[list[dict[str, str]]] = mapped_column(JSON, nullable=False, default=list, sort_order=1)
    boundary_arn: Mapped[str | None] = mapped_column(String(2048), sort_order=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, sort_order=1)


class User(_Principal, Base):
    __tablename__ = "iam_users"
    __table_args__ = (UniqueConstraint("account_id", "name_key", name="uq_iam_users_name"),)
    user_id: Mapped[str] = mapped_column(String(32), nullable=False, unique=True, sort_order=-2)
    access_keys: Mapped[list[AccessKey]] = relationship(back_populates="user")


class AccessKey(Base):
    __tablename__ = "iam_access_keys"
    access_key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    user_pk: Mapped[int] = mapped_column(ForeignKey("iam_users.pk"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    user: Mapped[User] = relationship(back_populates="access_keys")


class Role(_Principal, Base):
    __tablename__ = "iam_roles"
    __table_args__ = (UniqueConstraint("account_id", "name_key", name="uq_iam_roles_name"),)
    role_id: Mapped[str] = mapped_column(String(32), nullable=False, unique=True, sort_order=-2)
    trust_policy: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str | None] = mapped_column(String(1000))
    max_session_duration: Mapped[int] = mapped_column(Integer, nullable=False, default=3600)


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


class _InlinePolicy:
    """An inline policy embedded in its owner (`role_pk` / `user_pk`, declared by the subclass)."""

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True, sort_order=-1)
    name: Mapped[str] = mapped_column(String(128), nullable=False, sort_order=1)
    document: Mapped[str] = mapped_column(Text, nullable=False, sort_order=1)


class RolePolicy(_InlinePolicy, Base):
    __tablename__ = "iam_role_policies"
    __table_args__ = (UniqueConstraint("role_pk", "name", name="uq_iam_role_policies"),)
    role_pk: Mapped[int] = mapped_column(ForeignKey("iam_roles.pk"), nullable=False)


class UserPolicy(_InlinePolicy, Base):
    __tablename__ = "iam_user_policies"
    __table_args__ = (UniqueConstraint("user_pk", "name", name="uq_iam_user_policies"),)
    user_pk: Mapped[int] = mapped_column(ForeignKey("iam_users.pk"), nullable=False)


class _Attachment:
    """A managed policy attached to its owner; `policy_pk` is NULL for AWS managed policies."""

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True, sort_order=-1)
    policy_arn: Mapped[str] = mapped_column(String(1024), nullable=False, index=True, sort_order=1)
    policy_pk: Mapped[int | None] = mapped_column(ForeignKey("iam_policies.pk"), sort_order=1)


class RoleAttachment(_Attachment, Base):
    __tablename__ = "iam_role_attachments"
    __table_args__ = (UniqueConstraint("role_pk", "policy_arn", name="uq_iam_role_attachments"),)
    role_pk: Mapped[int] = mapped_column(ForeignKey("iam_roles.pk"), nullable=False)


class UserAttachment(_Attachment, Base):
    __tablename__ = "iam_user_attachments"
    __table_args__ = (UniqueConstraint("user_pk", "policy_arn", name="uq_iam_user_attachments"),)
    user_pk: Mapped[int] = mapped_column(ForeignKey("iam_users.pk"), nullable=False)


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
