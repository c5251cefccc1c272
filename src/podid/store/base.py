"""Transaction plumbing shared by the repository mixins: read/write sessions and the generation counter,
plus the lookups and tag updates that roles, users, policies and OIDC providers have in common."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from podid.store.engine import session
from podid.store.records import Tags
from podid.store.schema.base import utcnow
from podid.store.schema.iam import GENERATION, Account, ManagedPolicy, Meta, OidcProvider, Role, User
from podid.store.tags import merge_tags

_GENERATION_QUERY = select(Meta.value).where(Meta.key == GENERATION)
#: inside :meth:`StoreBase.one_generation`: the generation read by this call, once read
_CALL_GENERATION: ContextVar[list[int] | None] = ContextVar("podid_call_generation", default=None)

# entities with an account-unique, case-insensitive name (`name_key` = lower(name)) and a path
Named = TypeVar("Named", Role, User, ManagedPolicy)
# entities carrying IAM tags
Tagged = TypeVar("Tagged", Role, User, ManagedPolicy, OidcProvider)


class StoreBase:
    """Owns the engine; `_read()`/`_write()` yield ORM sessions inside one database transaction.

    A write transaction first bumps the `generation` counter (which also serialises IAM writes on
    the counter row, on SQLite and PostgreSQL alike); any exception rolls everything back, so a
    failed repository call changes nothing.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write_lock = threading.Lock()  # in-process writers queue here instead of on SQLite's lock

    def _read(self) -> AbstractContextManager[Session]:
        return session(self.engine)

    @contextmanager
    def _write(self, *, bump: bool = True) -> Iterator[Session]:
        with session(self.engine, write=True, lock=self._write_lock) as s:
            if bump:
                s.execute(update(Meta).where(Meta.key == GENERATION).values(value=Meta.value + 1))
            yield s
        memo = _CALL_GENERATION.get()
        if bump and memo:
            memo.clear()   # committed: later reads in this call see the new generation

    def generation(self) -> int:
        """A counter bumped by every IAM write (cache key for compiled policies).

        Read from the database (other processes and replicas write too), once per API call inside
        :meth:`one_generation`; a write in the same call makes the next read go to the database."""
        memo = _CALL_GENERATION.get()
        if memo:
            return memo[0]
        with self.engine.connect() as conn:   # Core, not a Session: read on every request
            value = int(conn.execute(_GENERATION_QUERY).scalar() or 0)
        if memo is not None:
            memo.append(value)
        return value

    @staticmethod
    @contextmanager
    def one_generation() -> Iterator[None]:
        """Scope of one API call: authentication and authorization see the same IAM generation
        (and the counter is read once instead of once per cache lookup)."""
        token = _CALL_GENERATION.set([])
        try:
            yield
        finally:
            _CALL_GENERATION.reset(token)

    @staticmethod
    def _ensure_account(s: Session, account_id: str) -> None:
        if s.get(Account, account_id) is None:
            s.add(Account(id=account_id, created_at=utcnow()))
            s.flush()

    def _retag(self, load: Callable[[Session], Tagged], add: Tags, remove: list[str], quota: str) -> None:
        """Tag*/Untag*: in one write, set `add` and drop `remove` on the tags of the entity `load`
        returns (keys compared case-insensitively, as IAM does; `quota` names the limit in errors)."""
        with self._write() as s:
            e = load(s)
            e.tags = merge_tags(e.tags, add, remove, quota)


def count_rows(s: Session, model: type[Any], *criteria: Any) -> int:
    """SELECT count(*) FROM model WHERE criteria."""
    return int(s.scalar(select(func.count()).select_from(model).where(*criteria)) or 0)


def find_named(s: Session, model: type[Named], account_id: str, name: str) -> Named | None:
    """The `model` row of `account_id` called `name` (compared case-insensitively), or None."""
    return s.scalar(select(model).where(model.account_id == account_id, model.name_key == name.lower()))


def list_named(s: Session, model: type[Named], account_id: str, path_prefix: str = "/") -> list[Named]:
    """The `model` rows of `account_id` whose path starts with `path_prefix`, ordered by name."""
    rows = s.scalars(select(model).where(model.account_id == account_id).order_by(model.name_key)).all()
    return [r for r in rows if r.path.startswith(path_prefix)]
