"""IAM entities, accounts, generation counter, key/value

Revision ID: 0001_iam
Revises:
Create Date: 2026-11-23

Creates its tables from the models (podid.store.schema.iam); the list of names is this revision's.
"""

from __future__ import annotations

from alembic import op

from podid.store.schema import create_tables, drop_tables, iam

revision = "0001_iam"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "accounts",
    "podid_kv",
    "podid_meta",
    "iam_oidc_providers",
    "iam_policies",
    "iam_roles",
    "iam_users",
    "iam_access_keys",
    "iam_policy_versions",
    "iam_role_attachments",
    "iam_role_policies",
    "iam_user_attachments",
    "iam_user_policies",
)


def upgrade() -> None:
    create_tables(op.get_bind(), TABLES)
    iam.seed(op.get_bind())


def downgrade() -> None:
    drop_tables(op.get_bind(), TABLES)
