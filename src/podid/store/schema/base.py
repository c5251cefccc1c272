"""The one declarative `Base` (and so the one `MetaData`) of every podid table, plus its column types.

Times of the IAM tables are stored as UTC (`UTCDateTime`); podid.eks and podid.k8s store epoch
seconds (floats) and integers as they always have.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Table
from sqlalchemy.orm import DeclarativeBase
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
    """Declarative base of all podid models: `Base.metadata` is the schema alembic builds."""


def table_of(model: type[Base]) -> Table:
    """The Core `Table` of a model, for repositories that run Core statements on connections
    (podid.eks, podid.k8s: their hot paths skip the ORM's per-statement cost)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
