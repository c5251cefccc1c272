"""EKS control plane: clusters, add-ons, Pod Identity associations, issuer keys, agent heartbeats

Revision ID: 0002_eks
Revises: 0001_iam
Create Date: 2026-11-23

Creates its tables from the models (podid.store.schema.eks); the list of names is this revision's.
"""

from __future__ import annotations

from alembic import op

from podid.store.schema import create_tables, drop_tables

revision = "0002_eks"
down_revision = "0001_iam"
branch_labels = None
depends_on = None

TABLES = ("eks_clusters", "eks_addons", "eks_pod_identity_associations", "eks_issuer_keys",
          "eks_agent_heartbeats")


def upgrade() -> None:
    create_tables(op.get_bind(), TABLES)


def downgrade() -> None:
    drop_tables(op.get_bind(), TABLES)
