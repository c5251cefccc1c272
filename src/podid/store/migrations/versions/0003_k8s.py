"""Kubernetes API objects of every podid cluster: objects, resourceVersion counters, watch log

Revision ID: 0003_k8s
Revises: 0002_eks
Create Date: 2026-11-23

Owned by podid.k8s (tables mirrored by ``podid.k8s.sqlstore``; keep both in step).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003_k8s'
down_revision = '0002_eks'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'k8s_objects',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('cluster', sa.String(length=100), nullable=False),
        sa.Column('api_group', sa.String(length=253), nullable=False),
        sa.Column('resource', sa.String(length=100), nullable=False),
        sa.Column('namespace', sa.String(length=253), nullable=False),
        sa.Column('name', sa.String(length=253), nullable=False),
        sa.Column('uid', sa.String(length=36), nullable=False),
        sa.Column('resource_version', sa.BigInteger(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('cluster', 'api_group', 'resource', 'namespace', 'name',
                            name='uq_k8s_objects_key'),
    )
    op.create_table(
        'k8s_revisions',
        sa.Column('cluster', sa.String(length=100), nullable=False),
        sa.Column('current', sa.BigInteger(), nullable=False),
        sa.Column('compacted', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('cluster'),
    )
    op.create_table(
        'k8s_watch_log',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('cluster', sa.String(length=100), nullable=False),
        sa.Column('resource_version', sa.BigInteger(), nullable=False),
        sa.Column('event_type', sa.String(length=16), nullable=False),
        sa.Column('api_group', sa.String(length=253), nullable=False),
        sa.Column('resource', sa.String(length=100), nullable=False),
        sa.Column('namespace', sa.String(length=253), nullable=False),
        sa.Column('name', sa.String(length=253), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_k8s_watch_log_cluster_rv', 'k8s_watch_log', ['cluster', 'resource_version'])


def downgrade() -> None:
    op.drop_index('ix_k8s_watch_log_cluster_rv', table_name='k8s_watch_log')
    op.drop_table('k8s_watch_log')
    op.drop_table('k8s_revisions')
    op.drop_table('k8s_objects')
