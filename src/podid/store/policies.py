"""Repository for managed policies (customer and AWS), versions, attachments, inline policies, boundaries.

Customer managed policies are rows; AWS managed policies come from `podid.store.managed_policies`
and can be attached and used as boundaries but not changed. Attachments record the policy ARN (and,
for customer policies, a foreign key that keeps an attached policy from disappearing).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from podid.store import errors, managed_policies
from podid.store.base import StoreBase, count_rows, find_named
from podid.store.ids import POLICY_PREFIX, new_id
from podid.store.managed_policies import AwsManagedPolicy
from podid.store.records import (
    AttachedPolicy,
    InlinePolicyRecord,
    PolicyRecord,
    PolicySource,
    PolicyVersionRecord,
    PrincipalKind,
    PrincipalPolicies,
    Tags,
)
from podid.store.roles import find_role, load_role
from podid.store.schema.base import utcnow
from podid.store.schema.iam import (
    ManagedPolicy,
    PolicyVersion,
    Role,
    RoleAttachment,
    RolePolicy,
    User,
    UserAttachment,
    UserPolicy,
)
from podid.store.tags import merge_tags
from podid.store.users import find_user, load_user

MAX_VERSIONS = 5
MAX_ATTACHED = 10
Scope = Literal["All", "AWS", "Local"]


def policy_arn(account_id: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account_id}:policy{path}{name}"


@dataclass(frozen=True)
class _Kind:
    model: Any
    attachment: Any
    inline: Any
    fk: str
    quota: str


_KINDS: dict[str, _Kind] = {
    "role": _Kind(Role, RoleAttachment, RolePolicy, "role_pk", "PoliciesPerRole"),
    "user": _Kind(User, UserAttachment, UserPolicy, "user_pk", "PoliciesPerUser"),
}


def _principal(s: Session, account_id: str, kind: PrincipalKind, name: str) -> Any:
    return load_role(s, account_id, name) if kind == "role" else load_user(s, account_id, name)


def _customer(s: Session, account_id: str, arn: str) -> ManagedPolicy | None:
    return s.scalar(
        select(ManagedPolicy).where(ManagedPolicy.arn == arn, ManagedPolicy.account_id == account_id)
    )


def _load_customer(s: Session, account_id: str, arn: str) -> ManagedPolicy:
    p = _customer(s, account_id, arn)
    if p is None:
        raise errors.no_policy(arn)
    return p


def _version(p: ManagedPolicy, version_id: str) -> PolicyVersion:
    for v in p.versions:
        if v.version_id == version_id:
            return v
    raise errors.no_policy_version(p.arn, version_id)


def _default_document(p: ManagedPolicy) -> str:
    return _version(p, p.default_version).document


def _usage(s: Session, account_id: str) -> tuple[Counter[str], Counter[str]]:
    """Attachment and boundary usage counts per policy ARN within one account."""
    attached: Counter[str] = Counter()
    pairs: tuple[tuple[Any, Any, Any], ...] = (
        (RoleAttachment.policy_arn, Role, RoleAttachment.role_pk),
        (UserAttachment.policy_arn, User, UserAttachment.user_pk),
    )
    for column, owner, fk in pairs:
        rows = s.execute(select(column).join(owner, owner.pk == fk).where(owner.account_id == account_id))
        attached.update(arn for (arn,) in rows)
    boundary: Counter[str] = Counter()
    for owner in (Role, User):
        rows = s.execute(
            select(owner.boundary_arn).where(owner.account_id == account_id, owner.boundary_arn.is_not(None))
        )
        boundary.update(arn for (arn,) in rows)
    return attached, boundary


def _customer_record(p: ManagedPolicy, attached: int, boundary: int) -> PolicyRecord:
    return PolicyRecord(
        arn=p.arn,
        name=p.name,
        path=p.path,
        policy_id=p.policy_id,
        default_version_id=p.default_version,
        attachment_count=attached,
        permissions_boundary_usage_count=boundary,
        is_attachable=True,
        description=p.description,
        create_date=p.created_at,
        update_date=p.updated_at,
        tags=list(p.tags),
        account_id=p.account_id,
    )


def _aws_record(p: AwsManagedPolicy, attached: int, boundary: int) -> PolicyRecord:
    return PolicyRecord(
        arn=p.arn,
        name=p.name,
        path=p.path,
        policy_id=p.policy_id,
        default_version_id=p.default_version_id,
        attachment_count=attached,
        permissions_boundary_usage_count=boundary,
        is_attachable=True,
        description=None,
        create_date=p.create_date,
        update_date=p.update_date,
        tags=[],
        account_id=None,
    )


def _version_record(v: PolicyVersion, default: str) -> PolicyVersionRecord:
    return PolicyVersionRecord(
        version_id=v.version_id,
        document=v.document,
        is_default=v.version_id == default,
        create_date=v.created_at,
    )


class PoliciesRepo(StoreBase):
    """Managed policies with versions, attachments, inline policies and permissions boundaries."""

    # managed policies --------------------------------------------------------------------------

    def create_policy(
        self,
        account_id: str,
        name: str,
        document: str,
        *,
        path: str = "/",
        description: str | None = None,
        tags: Tags | None = None,
    ) -> PolicyRecord:
        with self._write() as s:
            self._ensure_account(s, account_id)
            if find_named(s, ManagedPolicy, account_id, name) is not None:
                raise errors.EntityAlreadyExists(
                    f"A policy called {name} already exists. Duplicate names are not allowed."
                )
            now = utcnow()
            p = ManagedPolicy(
                account_id=account_id,
                name=name,
                name_key=name.lower(),
                path=path,
                policy_id=new_id(POLICY_PREFIX),
                arn=policy_arn(account_id, name, path),
                description=description,
                default_version="v1",
                next_version=2,
                tags=merge_tags([], tags or [], [], "TagsPerPolicy"),
                created_at=now,
                updated_at=now,
            )
            p.versions.append(PolicyVersion(version_id="v1", document=document, created_at=now))
            s.add(p)
            s.flush()
            return _customer_record(p, 0, 0)

    def get_policy(self, account_id: str, arn: str) -> PolicyRecord | None:
        """A customer policy of `account_id` or an AWS managed policy, with usage counts; else None."""
        with self._read() as s:
            attached, boundary = _usage(s, account_id)
            aws = managed_policies.get(arn)
            if aws is not None:
                return _aws_record(aws, attached[arn], boundary[arn])
            p = _customer(s, account_id, arn)
            return _customer_record(p, attached[arn], boundary[arn]) if p else None

    def list_policies(
        self,
        account_id: str,
        *,
        scope: Scope = "All",
        only_attached: bool = False,
        path_prefix: str = "/",
    ) -> list[PolicyRecord]:
        """ListPolicies: AWS managed (scope All/AWS) then customer (All/Local), each sorted by name."""
        with self._read() as s:
            attached, boundary = _usage(s, account_id)
            out: list[PolicyRecord] = []
            if scope in ("All", "AWS"):
                out += [
                    _aws_record(p, attached[p.arn], boundary[p.arn]) for p in managed_policies.all_policies()
                ]
            if scope in ("All", "Local"):
                rows = s.scalars(
                    select(ManagedPolicy)
                    .where(ManagedPolicy.account_id == account_id)
                    .order_by(ManagedPolicy.name_key)
                ).all()
                out += [_customer_record(p, attached[p.arn], boundary[p.arn]) for p in rows]
        return [
            p for p in out if p.path.startswith(path_prefix) and (not only_attached or p.attachment_count > 0)
        ]

    def delete_policy(self, account_id: str, arn: str) -> None:
        with self._write() as s:
            p = _load_customer(s, account_id, arn)
            attached, boundary = _usage(s, account_id)
            if attached[arn] or boundary[arn]:
                raise errors.DeleteConflict("Cannot delete a policy attached to entities.")
            if len(p.versions) > 1:
                raise errors.DeleteConflict(
                    "This policy has more than one version. Before you delete a policy, you must delete the "
                    "policy's versions. The default version is deleted with the policy."
                )
            s.delete(p)

    def tag_policy(self, account_id: str, arn: str, tags: Tags) -> None:
        self._retag(lambda s: _load_customer(s, account_id, arn), tags, [], "TagsPerPolicy")

    def untag_policy(self, account_id: str, arn: str, keys: list[str]) -> None:
        self._retag(lambda s: _load_customer(s, account_id, arn), [], keys, "TagsPerPolicy")

    # versions ----------------------------------------------------------------------------------

    def create_policy_version(
        self, account_id: str, arn: str, document: str, *, set_as_default: bool = False
    ) -> PolicyVersionRecord:
        with self._write() as s:
            p = _load_customer(s, account_id, arn)
            if len(p.versions) >= MAX_VERSIONS:
                raise errors.LimitExceeded(
                    f"A managed policy can have up to {MAX_VERSIONS} versions. "
                    "Before you create a new version, you must delete an existing version."
                )
            now = utcnow()
            v = PolicyVersion(version_id=f"v{p.next_version}", document=document, created_at=now)
            p.versions.append(v)
            p.next_version += 1
            if set_as_default:
                p.default_version = v.version_id
            p.updated_at = now
            s.flush()
            return _version_record(v, p.default_version)

    def get_policy_version(self, account_id: str, arn: str, version_id: str) -> PolicyVersionRecord:
        aws = managed_policies.get(arn)
        if aws is not None:
            if version_id != aws.default_version_id:
                raise errors.no_policy_version(arn, version_id)
            return PolicyVersionRecord(version_id, aws.document, True, aws.update_date)
        with self._read() as s:
            p = _load_customer(s, account_id, arn)
            return _version_record(_version(p, version_id), p.default_version)

    def list_policy_versions(self, account_id: str, arn: str) -> list[PolicyVersionRecord]:
        """Newest first, as IAM lists them."""
        aws = managed_policies.get(arn)
        if aws is not None:
            return [PolicyVersionRecord(aws.default_version_id, aws.document, True, aws.update_date)]
        with self._read() as s:
            p = _load_customer(s, account_id, arn)
            return [_version_record(v, p.default_version) for v in reversed(p.versions)]

    def set_default_policy_version(self, account_id: str, arn: str, version_id: str) -> None:
        with self._write() as s:
            p = _load_customer(s, account_id, arn)
            p.default_version = _version(p, version_id).version_id
            p.updated_at = utcnow()

    def delete_policy_version(self, account_id: str, arn: str, version_id: str) -> None:
        with self._write() as s:
            p = _load_customer(s, account_id, arn)
            v = _version(p, version_id)
            if v.version_id == p.default_version:
                raise errors.DeleteConflict("Cannot delete the default version of a policy.")
            p.versions.remove(v)

    # attachments -------------------------------------------------------------------------------

    def _attachable(self, s: Session, account_id: str, arn: str) -> tuple[ManagedPolicy | None, str]:
        """(customer row or None for AWS managed, ARN); NoSuchEntity when neither exists."""
        if managed_policies.get(arn) is not None:
            return None, arn
        p = _customer(s, account_id, arn)
        if p is None:
            raise errors.not_attachable(arn)
        return p, arn

    def attach_policy(self, account_id: str, kind: PrincipalKind, name: str, arn: str) -> None:
        """Attach (idempotent: attaching twice is not an error, as in IAM)."""
        k = _KINDS[kind]
        with self._write() as s:
            owner = _principal(s, account_id, kind, name)
            row, _ = self._attachable(s, account_id, arn)
            fk = getattr(k.attachment, k.fk)
            if count_rows(s, k.attachment, fk == owner.pk, k.attachment.policy_arn == arn):
                return
            if count_rows(s, k.attachment, fk == owner.pk) >= MAX_ATTACHED:
                raise errors.LimitExceeded(f"Cannot exceed quota for {k.quota}: {MAX_ATTACHED}")
            s.add(k.attachment(**{k.fk: owner.pk, "policy_arn": arn, "policy_pk": row.pk if row else None}))

    def detach_policy(self, account_id: str, kind: PrincipalKind, name: str, arn: str) -> None:
        k = _KINDS[kind]
        with self._write() as s:
            owner = _principal(s, account_id, kind, name)
            fk = getattr(k.attachment, k.fk)
            att = s.scalar(select(k.attachment).where(fk == owner.pk, k.attachment.policy_arn == arn))
            if att is None:
                raise errors.no_policy(arn)
            s.delete(att)

    def list_attached_policies(
        self, account_id: str, kind: PrincipalKind, name: str, path_prefix: str = "/"
    ) -> list[AttachedPolicy]:
        k = _KINDS[kind]
        with self._read() as s:
            owner = _principal(s, account_id, kind, name)
            fk = getattr(k.attachment, k.fk)
            rows = s.scalars(select(k.attachment).where(fk == owner.pk).order_by(k.attachment.pk)).all()
            out = []
            for a in rows:
                aws = managed_policies.get(a.policy_arn)
                if aws is not None:
                    out.append((aws.path, AttachedPolicy(aws.name, aws.arn)))
                else:
                    p = s.get(ManagedPolicy, a.policy_pk)
                    if p is not None:
                        out.append((p.path, AttachedPolicy(p.name, p.arn)))
            return [ap for path, ap in out if path.startswith(path_prefix)]

    def policy_entities(self, account_id: str, arn: str) -> dict[PrincipalKind, list[tuple[str, str]]]:
        """ListEntitiesForPolicy: {"role": [(name, role_id)], "user": [(name, user_id)]} attached to `arn`."""
        with self._read() as s:
            roles = s.execute(
                select(Role.name, Role.role_id)
                .join(RoleAttachment, RoleAttachment.role_pk == Role.pk)
                .where(Role.account_id == account_id, RoleAttachment.policy_arn == arn)
                .order_by(Role.name_key)
            ).all()
            users = s.execute(
                select(User.name, User.user_id)
                .join(UserAttachment, UserAttachment.user_pk == User.pk)
                .where(User.account_id == account_id, UserAttachment.policy_arn == arn)
                .order_by(User.name_key)
            ).all()
            return {"role": [(n, i) for n, i in roles], "user": [(n, i) for n, i in users]}

    # inline policies ---------------------------------------------------------------------------

    def put_inline_policy(
        self, account_id: str, kind: PrincipalKind, name: str, policy_name: str, document: str
    ) -> None:
        """PutRolePolicy / PutUserPolicy: create or replace."""
        k = _KINDS[kind]
        with self._write() as s:
            owner = _principal(s, account_id, kind, name)
            row = s.scalar(
                select(k.inline).where(getattr(k.inline, k.fk) == owner.pk, k.inline.name == policy_name)
            )
            if row is None:
                s.add(k.inline(**{k.fk: owner.pk, "name": policy_name, "document": document}))
            else:
                row.document = document

    def _inline(self, s: Session, account_id: str, kind: PrincipalKind, name: str, policy_name: str) -> Any:
        k = _KINDS[kind]
        owner = _principal(s, account_id, kind, name)
        row = s.scalar(
            select(k.inline).where(getattr(k.inline, k.fk) == owner.pk, k.inline.name == policy_name)
        )
        if row is None:
            raise errors.no_inline(kind, policy_name)
        return row

    def get_inline_policy(
        self, account_id: str, kind: PrincipalKind, name: str, policy_name: str
    ) -> InlinePolicyRecord:
        with self._read() as s:
            row = self._inline(s, account_id, kind, name, policy_name)
            owner = _principal(s, account_id, kind, name)
            return InlinePolicyRecord(kind, owner.name, row.name, row.document)

    def list_inline_policies(self, account_id: str, kind: PrincipalKind, name: str) -> list[str]:
        k = _KINDS[kind]
        with self._read() as s:
            owner = _principal(s, account_id, kind, name)
            return sorted(s.scalars(select(k.inline.name).where(getattr(k.inline, k.fk) == owner.pk)).all())

    def delete_inline_policy(self, account_id: str, kind: PrincipalKind, name: str, policy_name: str) -> None:
        with self._write() as s:
            s.delete(self._inline(s, account_id, kind, name, policy_name))

    # permissions boundaries --------------------------------------------------------------------

    def put_permissions_boundary(self, account_id: str, kind: PrincipalKind, name: str, arn: str) -> None:
        with self._write() as s:
            owner = _principal(s, account_id, kind, name)
            if managed_policies.get(arn) is None and _customer(s, account_id, arn) is None:
                raise errors.NoSuchEntity(f"Scope ARN: {arn} does not exist or is not attachable.")
            owner.boundary_arn = arn

    def delete_permissions_boundary(self, account_id: str, kind: PrincipalKind, name: str) -> None:
        with self._write() as s:
            _principal(s, account_id, kind, name).boundary_arn = None

    def policy_default_document(self, account_id: str, arn: str) -> str | None:
        """The default version's document of a customer (of `account_id`) or AWS managed policy."""
        aws = managed_policies.get(arn)
        if aws is not None:
            return aws.document
        with self._read() as s:
            p = _customer(s, account_id, arn)
            return _default_document(p) if p else None

    # what the judge needs ----------------------------------------------------------------------

    def principal_policies(self, principal_arn: str) -> PrincipalPolicies:
        """Identity policies (attached managed default versions, then inline) and boundary of a user,
        role or assumed-role session ARN (sessions resolve to their role). Unknown principal:
        `PrincipalPolicies([], None, found=False)`."""
        parsed = parse_principal_arn(principal_arn)
        if parsed is None:
            return PrincipalPolicies([], None, False)
        account_id, kind, name = parsed
        k = _KINDS[kind]
        with self._read() as s:
            owner = find_role(s, account_id, name) if kind == "role" else find_user(s, account_id, name)
            if owner is None:
                return PrincipalPolicies([], None, False)
            identity: list[PolicySource] = []
            fk = getattr(k.attachment, k.fk)
            for a in s.scalars(select(k.attachment).where(fk == owner.pk).order_by(k.attachment.pk)):
                aws = managed_policies.get(a.policy_arn)
                if aws is not None:
                    identity.append(PolicySource(aws.name, aws.document, "managed", aws.arn))
                elif (p := s.get(ManagedPolicy, a.policy_pk)) is not None:
                    identity.append(PolicySource(p.name, _default_document(p), "managed", p.arn))
            inline = s.scalars(
                select(k.inline).where(getattr(k.inline, k.fk) == owner.pk).order_by(k.inline.name)
            )
            identity += [PolicySource(i.name, i.document, "inline") for i in inline]
            boundary = None
            if owner.boundary_arn:
                aws = managed_policies.get(owner.boundary_arn)
                if aws is not None:
                    boundary = PolicySource(aws.name, aws.document, "boundary", aws.arn)
                elif (p := _customer(s, account_id, owner.boundary_arn)) is not None:
                    boundary = PolicySource(p.name, _default_document(p), "boundary", p.arn)
            return PrincipalPolicies(identity, boundary, True)


def parse_principal_arn(arn: str) -> tuple[str, PrincipalKind, str] | None:
    """(account, "user"|"role", name) for user, role and assumed-role session ARNs; else None."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    service, account, resource = parts[2], parts[4], parts[5]
    segments = resource.split("/")
    if service == "iam" and segments[0] in ("user", "role") and len(segments) >= 2:
        return account, "user" if segments[0] == "user" else "role", segments[-1]
    if service == "sts" and segments[0] == "assumed-role" and len(segments) == 3:
        return account, "role", segments[1]
    return None
