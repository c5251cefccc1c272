"""Kubernetes API objects of every podid cluster: objects, resourceVersion counters, watch log

Revision ID: 0003_k8s
Revises: 0002_eks
Create Date: 2026-11-23

Creates its tables from the models (podid.store.schema.k8s); the list of names is this revision's.
"""

from __future__ import annotations

from alembic import op

from podid.store.schema import create_tables, drop_tables

revision = "0003_k8s"
down_revision = "0002_eks"
branch_labels = None
depends_on = None

TABLES = ("k8s_objects", "k8s_revisions", "k8s_watch_log")


def upgrade() -> None:
    create_tables(op.get_bind(), TABLES)


def downgrade() -> None:
    drop_tables(op.get_bind(), TABLES)
