"""The `Store`: one object that opens/migrates the database and exposes every repository method."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from podid.store.base import count_rows
from podid.store.engine import default_url, make_engine
from podid.store.ids import ACCESS_KEY_PREFIX, USER_PREFIX, new_id, new_secret
from podid.store.kv import KeyValueRepo
from podid.store.migrate import upgrade
from podid.store.oidc import OidcRepo
from podid.store.policies import PoliciesRepo
from podid.store.records import AccessKeyRecord
from podid.store.roles import RolesRepo
from podid.store.schema.base import utcnow
from podid.store.schema.iam import AccessKey, User, UserAttachment
from podid.store.users import UsersRepo, find_user, key_record, user_arn

ADMIN_USER = "podid-admin"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"


class Store(UsersRepo, RolesRepo, PoliciesRepo, OidcRepo, KeyValueRepo):
    """Durable state of podid (SQLite by default, PostgreSQL via `postgresql+psycopg://`)."""

    url: str

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect to `url` and migrate it to the newest schema (idempotent, safe across processes)."""
        engine = make_engine(url)
        upgrade(engine)
        store = cls(engine)
        store.url = url
        return store

    @classmethod
    def open_dir(cls, state_dir: str | Path) -> Store:
        """`Store.open("sqlite:///STATE_DIR/podid.db")`."""
        return cls.open(default_url(state_dir))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def bootstrap_admin(self, account_id: str) -> AccessKeyRecord:
        """Idempotently ensure user `podid-admin` with AdministratorAccess attached and one access key;
        return its oldest key. One transaction; nothing is written when all of it already exists."""
        with self._read() as s:
            if (done := self._admin_key(s, account_id)) is not None:
                return done
        with self._write() as s:
            self._ensure_account(s, account_id)
            u = find_user(s, account_id, ADMIN_USER)
            if u is None:
                u = User(
                    account_id=account_id,
                    name=ADMIN_USER,
                    name_key=ADMIN_USER,
                    path="/",
                    user_id=new_id(USER_PREFIX),
                    arn=user_arn(account_id, ADMIN_USER),
                    tags=[],
                    created_at=utcnow(),
                )
                s.add(u)
                s.flush()
            if not count_rows(
                s, UserAttachment, UserAttachment.user_pk == u.pk, UserAttachment.policy_arn == ADMIN_POLICY
            ):
                s.add(UserAttachment(user_pk=u.pk, policy_arn=ADMIN_POLICY, policy_pk=None))
            if not count_rows(s, AccessKey, AccessKey.user_pk == u.pk):
                s.add(
                    AccessKey(
                        access_key_id=new_id(ACCESS_KEY_PREFIX),
                        secret=new_secret(),
                        status="Active",
                        user_pk=u.pk,
                        created_at=utcnow(),
                    )
                )
            s.flush()
            done = self._admin_key(s, account_id)
            assert done is not None
            return done

    @staticmethod
    def _admin_key(s: Session, account_id: str) -> AccessKeyRecord | None:
        """The admin's oldest key when user, attachment and key all exist; else None."""
        u = find_user(s, account_id, ADMIN_USER)
        if u is None or not count_rows(
            s, UserAttachment, UserAttachment.user_pk == u.pk, UserAttachment.policy_arn == ADMIN_POLICY
        ):
            return None
        k = s.scalar(
            select(AccessKey)
            .where(AccessKey.user_pk == u.pk)
            .order_by(AccessKey.created_at, AccessKey.access_key_id)
        )
        return key_record(k, u) if k else None
