"""Alembic migration environment of the podid store (run programmatically by `podid.store.migrate`)."""
