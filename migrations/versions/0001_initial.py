"""Signatures, their sharded count, and admin users.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

# Must match campaign_site.petition.counting.COUNT_SHARDS: every shard row exists from the start.
COUNT_SHARDS = 16


def upgrade():
    op.create_table(
        "admin_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_user")),
        sa.UniqueConstraint("email", name=op.f("uq_admin_user_email")),
    )
    op.create_table(
        "signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("email_key", sa.String(length=254), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("postcode_city", sa.String(length=100), nullable=True),
        sa.Column("keep_informed", sa.Boolean(), nullable=False),
        sa.Column("show_name", sa.Boolean(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature")),
        sa.UniqueConstraint("email_key", name=op.f("uq_signature_email_key")),
    )
    op.create_index("ix_signature_show_name_id", "signature", ["show_name", "id"])
    shards = op.create_table(
        "signature_count_shard",
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shard", name=op.f("pk_signature_count_shard")),
    )
    op.bulk_insert(shards, [{"shard": n, "count": 0} for n in range(COUNT_SHARDS)])


def downgrade():
    op.drop_table("signature_count_shard")
    op.drop_index("ix_signature_show_name_id", table_name="signature")
    op.drop_table("signature")
    op.drop_table("admin_user")
