"""Repository for IAM roles: trust policy, description, max session duration, tags."""

from __future__ import annotations

from sqlalchemy.orm import Session

from podid.store import errors
from podid.store.base import StoreBase, count_rows, find_named, list_named
from podid.store.ids import ROLE_PREFIX, new_id
from podid.store.records import RoleRecord, Tags
from podid.store.schema.base import utcnow
from podid.store.schema.iam import Role, RoleAttachment, RolePolicy

_UNSET = object()


def role_arn(account_id: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account_id}:role{path}{name}"


def role_record(r: Role) -> RoleRecord:
    return RoleRecord(
        account_id=r.account_id,
        name=r.name,
        path=r.path,
        role_id=r.role_id,
        arn=r.arn,
        create_date=r.created_at,
        assume_role_policy_document=r.trust_policy,
        description=r.description,
        max_session_duration=r.max_session_duration,
        tags=list(r.tags),
        permissions_boundary=r.boundary_arn,
    )


def find_role(s: Session, account_id: str, name: str) -> Role | None:
    return find_named(s, Role, account_id, name)


def load_role(s: Session, account_id: str, name: str) -> Role:
    r = find_role(s, account_id, name)
    if r is None:
        raise errors.no_role(name)
    return r


class RolesRepo(StoreBase):
    """Roles (CreateRole/GetRole/ListRoles/DeleteRole/UpdateRole/UpdateAssumeRolePolicy/tags)."""

    def create_role(
        self,
        account_id: str,
        name: str,
        trust_policy: str,
        *,
        path: str = "/",
        description: str | None = None,
        max_session_duration: int = 3600,
        tags: Tags | None = None,
        permissions_boundary: str | None = None,
    ) -> RoleRecord:
        with self._write() as s:
            self._ensure_account(s, account_id)
            if find_role(s, account_id, name) is not None:
                raise errors.EntityAlreadyExists(f"Role with name {name} already exists.")
            r = Role(
                account_id=account_id,
                name=name,
                name_key=name.lower(),
                path=path,
                role_id=new_id(ROLE_PREFIX),
                arn=role_arn(account_id, name, path),
                trust_policy=trust_policy,
                description=description,
                max_session_duration=max_session_duration,
                tags=list(tags or []),
                boundary_arn=permissions_boundary,
                created_at=utcnow(),
            )
            s.add(r)
            s.flush()
            return role_record(r)

    def get_role(self, account_id: str, name: str) -> RoleRecord | None:
        """The role, or None."""
        with self._read() as s:
            r = find_role(s, account_id, name)
            return role_record(r) if r else None

    def list_roles(self, account_id: str, path_prefix: str = "/") -> list[RoleRecord]:
        with self._read() as s:
            return [role_record(r) for r in list_named(s, Role, account_id, path_prefix)]

    def delete_role(self, account_id: str, name: str) -> None:
        with self._write() as s:
            r = load_role(s, account_id, name)
            if count_rows(s, RoleAttachment, RoleAttachment.role_pk == r.pk):
                raise errors.DeleteConflict("Cannot delete entity, must detach all policies first.")
            if count_rows(s, RolePolicy, RolePolicy.role_pk == r.pk):
                raise errors.DeleteConflict("Cannot delete entity, must delete policies first.")
            s.delete(r)

    def update_role(
        self,
        account_id: str,
        name: str,
        *,
        description: str | None | object = _UNSET,
        max_session_duration: int | None = None,
    ) -> RoleRecord:
        """UpdateRole / UpdateRoleDescription: change only what is given."""
        with self._write() as s:
            r = load_role(s, account_id, name)
            if description is not _UNSET:
                r.description = description if isinstance(description, str) else None
            if max_session_duration is not None:
                r.max_session_duration = max_session_duration
            s.flush()
            return role_record(r)

    def update_assume_role_policy(self, account_id: str, name: str, trust_policy: str) -> None:
        with self._write() as s:
            load_role(s, account_id, name).trust_policy = trust_policy

    def tag_role(self, account_id: str, name: str, tags: Tags) -> None:
        """Add or overwrite tags (keys compared case-insensitively, as IAM does)."""
        self._retag(lambda s: load_role(s, account_id, name), tags, [], "TagsPerRole")

    def untag_role(self, account_id: str, name: str, keys: list[str]) -> None:
        self._retag(lambda s: load_role(s, account_id, name), [], keys, "TagsPerRole")
