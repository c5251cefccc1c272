"""Repository for IAM users and their long-term access keys."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from podid.store import errors
from podid.store.base import StoreBase, count_rows, find_named, list_named
from podid.store.ids import ACCESS_KEY_PREFIX, USER_PREFIX, new_id, new_secret
from podid.store.records import AccessKeyRecord, Tags, UserRecord
from podid.store.schema.base import utcnow
from podid.store.schema.iam import AccessKey, User, UserAttachment, UserPolicy

MAX_ACCESS_KEYS = 2


def user_arn(account_id: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account_id}:user{path}{name}"


def user_record(u: User) -> UserRecord:
    return UserRecord(
        account_id=u.account_id,
        name=u.name,
        path=u.path,
        user_id=u.user_id,
        arn=u.arn,
        create_date=u.created_at,
        tags=list(u.tags),
        permissions_boundary=u.boundary_arn,
    )


def key_record(k: AccessKey, u: User) -> AccessKeyRecord:
    return AccessKeyRecord(
        access_key_id=k.access_key_id,
        secret_access_key=k.secret,
        status=k.status,
        user_name=u.name,
        user_arn=u.arn,
        user_id=u.user_id,
        account_id=u.account_id,
        create_date=k.created_at,
    )


def find_user(s: Session, account_id: str, name: str) -> User | None:
    return find_named(s, User, account_id, name)


def load_user(s: Session, account_id: str, name: str) -> User:
    u = find_user(s, account_id, name)
    if u is None:
        raise errors.no_user(name)
    return u


class UsersRepo(StoreBase):
    """Users (CreateUser/GetUser/ListUsers/DeleteUser) and access keys."""

    def create_user(
        self,
        account_id: str,
        name: str,
        *,
        path: str = "/",
        tags: Tags | None = None,
        permissions_boundary: str | None = None,
    ) -> UserRecord:
        with self._write() as s:
            self._ensure_account(s, account_id)
            if find_user(s, account_id, name) is not None:
                raise errors.EntityAlreadyExists(f"User with name {name} already exists.")
            u = User(
                account_id=account_id,
                name=name,
                name_key=name.lower(),
                path=path,
                user_id=new_id(USER_PREFIX),
                arn=user_arn(account_id, name, path),
                tags=list(tags or []),
                boundary_arn=permissions_boundary,
                created_at=utcnow(),
            )
            s.add(u)
            s.flush()
            return user_record(u)

    def get_user(self, account_id: str, name: str) -> UserRecord | None:
        """The user, or None."""
        with self._read() as s:
            u = find_user(s, account_id, name)
            return user_record(u) if u else None

    def list_users(self, account_id: str, path_prefix: str = "/") -> list[UserRecord]:
        with self._read() as s:
            return [user_record(u) for u in list_named(s, User, account_id, path_prefix)]

    def delete_user(self, account_id: str, name: str) -> None:
        with self._write() as s:
            u = load_user(s, account_id, name)
            if count_rows(s, AccessKey, AccessKey.user_pk == u.pk):
                raise errors.DeleteConflict("Cannot delete entity, must delete access keys first.")
            if count_rows(s, UserAttachment, UserAttachment.user_pk == u.pk):
                raise errors.DeleteConflict("Cannot delete entity, must detach all policies first.")
            if count_rows(s, UserPolicy, UserPolicy.user_pk == u.pk):
                raise errors.DeleteConflict("Cannot delete entity, must delete policies first.")
            s.delete(u)

    def tag_user(self, account_id: str, name: str, tags: Tags) -> None:
        """Add or overwrite tags (keys compared case-insensitively, as IAM does)."""
        self._retag(lambda s: load_user(s, account_id, name), tags, [], "TagsPerUser")

    def untag_user(self, account_id: str, name: str, keys: list[str]) -> None:
        self._retag(lambda s: load_user(s, account_id, name), [], keys, "TagsPerUser")

    # access keys -------------------------------------------------------------------------------

    def create_access_key(self, account_id: str, user_name: str) -> AccessKeyRecord:
        with self._write() as s:
            u = load_user(s, account_id, user_name)
            count = count_rows(s, AccessKey, AccessKey.user_pk == u.pk)
            if (count or 0) >= MAX_ACCESS_KEYS:
                raise errors.LimitExceeded(f"Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS}")
            k = AccessKey(
                access_key_id=new_id(ACCESS_KEY_PREFIX),
                secret=new_secret(),
                status="Active",
                user_pk=u.pk,
                created_at=utcnow(),
            )
            s.add(k)
            s.flush()
            return key_record(k, u)

    def get_access_key(self, access_key_id: str) -> AccessKeyRecord | None:
        """The key with its secret and owning user, or None (any account)."""
        with self._read() as s:
            k = s.get(AccessKey, access_key_id)
            return key_record(k, k.user) if k else None

    def list_access_keys(self, account_id: str, user_name: str) -> list[AccessKeyRecord]:
        with self._read() as s:
            u = load_user(s, account_id, user_name)
            keys = s.scalars(
                select(AccessKey).where(AccessKey.user_pk == u.pk).order_by(AccessKey.created_at)
            ).all()
            return [key_record(k, u) for k in keys]

    def _user_key(self, s: Session, account_id: str, user_name: str, access_key_id: str) -> AccessKey:
        u = load_user(s, account_id, user_name)
        k = s.get(AccessKey, access_key_id)
        if k is None or k.user_pk != u.pk:
            raise errors.no_access_key(access_key_id)
        return k

    def update_access_key(self, account_id: str, user_name: str, access_key_id: str, status: str) -> None:
        with self._write() as s:
            self._user_key(s, account_id, user_name, access_key_id).status = status

    def delete_access_key(self, account_id: str, user_name: str, access_key_id: str) -> None:
        with self._write() as s:
            s.delete(self._user_key(s, account_id, user_name, access_key_id))
