"""Namespaced JSON key/value repository for components without tables of their own (yet)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from podid.store.base import StoreBase
from podid.store.schema.base import utcnow
from podid.store.schema.iam import KeyValue


class KeyValueRepo(StoreBase):
    """`put_kv`/`get_kv`/`delete_kv`/`list_kv`; these writes do not bump the IAM generation."""

    def put_kv(self, namespace: str, key: str, value: Any) -> None:
        with self._write(bump=False) as s:
            row = s.get(KeyValue, (namespace, key))
            if row is None:
                s.add(KeyValue(namespace=namespace, key=key, value=value, updated_at=utcnow()))
            else:
                row.value = value
                row.updated_at = utcnow()

    def get_kv(self, namespace: str, key: str) -> Any | None:
        with self._read() as s:
            row = s.get(KeyValue, (namespace, key))
            return row.value if row else None

    def delete_kv(self, namespace: str, key: str) -> bool:
        """True when a value was deleted."""
        with self._write(bump=False) as s:
            result = s.execute(delete(KeyValue).where(KeyValue.namespace == namespace, KeyValue.key == key))
            return bool(getattr(result, "rowcount", 0))

    def list_kv(self, namespace: str, prefix: str = "") -> dict[str, Any]:
        """Every key (starting with `prefix`) in `namespace`, sorted."""
        with self._read() as s:
            rows = s.scalars(
                select(KeyValue).where(KeyValue.namespace == namespace).order_by(KeyValue.key)
            ).all()
            return {r.key: r.value for r in rows if r.key.startswith(prefix)}
