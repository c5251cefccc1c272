"""EKS control plane: clusters, add-ons, Pod Identity associations, issuer keys, agent heartbeats

Revision ID: 0002_eks
Revises: 0001_iam
Create Date: 2026-11-23

Owned by podid.eks (tables mirrored by ``podid.eks.repo``; keep both in step).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002_eks'
down_revision = '0001_iam'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'eks_clusters',
        sa.Column('pk', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('account_id', sa.String(length=12), nullable=False),
        sa.Column('region', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('arn', sa.String(length=256), nullable=False),
        sa.Column('cluster_id', sa.String(length=36), nullable=False),
        sa.Column('version', sa.String(length=16), nullable=False),
        sa.Column('oidc_id', sa.String(length=32), nullable=False),
        sa.Column('role_arn', sa.String(length=2048), nullable=True),
        sa.Column('endpoint', sa.String(length=1024), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('tags', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('pk'),
        sa.UniqueConstraint('arn', name='uq_eks_clusters_arn'),
        sa.UniqueConstraint('oidc_id', name='uq_eks_clusters_oidc_id'),
        sa.UniqueConstraint('account_id', 'region', 'name', name='uq_eks_clusters_name'),
    )
    op.create_table(
        'eks_addons',
        sa.Column('pk', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('cluster_pk', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('version', sa.String(length=64), nullable=False),
        sa.Column('arn', sa.String(length=512), nullable=False),
        sa.Column('service_account_role_arn', sa.String(length=2048), nullable=True),
        sa.Column('configuration_values', sa.Text(), nullable=True),
        sa.Column('pod_identity_associations', sa.JSON(), nullable=False),
        sa.Column('tags', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('modified_at', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['cluster_pk'], ['eks_clusters.pk'], name='fk_eks_addons_cluster'),
        sa.PrimaryKeyConstraint('pk'),
        sa.UniqueConstraint('cluster_pk', 'name', name='uq_eks_addons_name'),
    )
    op.create_index('ix_eks_addons_cluster', 'eks_addons', ['cluster_pk'])
    op.create_table(
        'eks_pod_identity_associations',
        sa.Column('pk', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('cluster_pk', sa.Integer(), nullable=False),
        sa.Column('association_id', sa.String(length=19), nullable=False),
        sa.Column('arn', sa.String(length=512), nullable=False),
        sa.Column('namespace', sa.String(length=253), nullable=False),
        sa.Column('service_account', sa.String(length=253), nullable=False),
        sa.Column('role_arn', sa.String(length=2048), nullable=False),
        sa.Column('target_role_arn', sa.String(length=2048), nullable=True),
        sa.Column('external_id', sa.String(length=64), nullable=True),
        sa.Column('disable_session_tags', sa.Boolean(), nullable=False),
        sa.Column('policy', sa.Text(), nullable=True),
        sa.Column('owner_arn', sa.String(length=2048), nullable=True),
        sa.Column('tags', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('modified_at', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['cluster_pk'], ['eks_clusters.pk'], name='fk_eks_pia_cluster'),
        sa.PrimaryKeyConstraint('pk'),
        sa.UniqueConstraint('association_id', name='uq_eks_pia_id'),
        sa.UniqueConstraint('cluster_pk', 'namespace', 'service_account', name='uq_eks_pia_subject'),
    )
    op.create_table(
        'eks_issuer_keys',
        sa.Column('cluster_pk', sa.Integer(), nullable=False),
        sa.Column('record', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['cluster_pk'], ['eks_clusters.pk'], name='fk_eks_issuer_keys_cluster'),
        sa.PrimaryKeyConstraint('cluster_pk'),
    )
    op.create_table(
        'eks_agent_heartbeats',
        sa.Column('pk', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('cluster_pk', sa.Integer(), nullable=False),
        sa.Column('node_name', sa.String(length=253), nullable=False),
        sa.Column('agent_id', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reasons', sa.JSON(), nullable=False),
        sa.Column('received_at', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['cluster_pk'], ['eks_clusters.pk'], name='fk_eks_heartbeats_cluster'),
        sa.PrimaryKeyConstraint('pk'),
        sa.UniqueConstraint('cluster_pk', 'node_name', name='uq_eks_heartbeats_node'),
    )
    op.create_index('ix_eks_heartbeats_cluster', 'eks_agent_heartbeats', ['cluster_pk'])


def downgrade() -> None:
    op.drop_index('ix_eks_heartbeats_cluster', table_name='eks_agent_heartbeats')
    op.drop_table('eks_agent_heartbeats')
    op.drop_table('eks_issuer_keys')
    op.drop_table('eks_pod_identity_associations')
    op.drop_index('ix_eks_addons_cluster', table_name='eks_addons')
    op.drop_table('eks_addons')
    op.drop_table('eks_clusters')
