"""Alembic env: runs online against the connection `podid.store.migrate` passes in `config.attributes`."""

from __future__ import annotations

from alembic import context

from podid.store.migrate import VERSION_TABLE
from podid.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable when someone runs the alembic CLI directly
    raise RuntimeError("podid migrations run through podid.store.migrate.upgrade(connection)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,  # SQLite: ALTER TABLE through table copies in future migrations
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
