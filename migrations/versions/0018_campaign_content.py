"""The campaign's words as organisers publish them from /admin/content: every saved draft
and every published version, with who and when, so any earlier version can be restored.
The content file (content/campaign.toml) stays the fallback while this table is empty.

Revision ID: 0018_campaign_content
Revises: 0017_discreet_mail
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_campaign_content"
down_revision = "0017_discreet_mail"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "content_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("note", sa.String(120), nullable=False, server_default=""),
        sa.Column("saved_by", sa.String(254), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(254)),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_content_version_published_at", "content_version", ["published_at"])


def downgrade():
    op.drop_index("ix_content_version_published_at", table_name="content_version")
    op.drop_table("content_version")
