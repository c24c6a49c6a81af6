"""Partner sites that organisers allow to frame the embed from the admin, beside the
operators' fixed EMBED_ORIGINS: one row per origin, with who added it and when.

Revision ID: 0019_partner_origins
Revises: 0017_discreet_mail
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_partner_origins"
down_revision = "0018_campaign_content"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "partner_origin",
        sa.Column("origin", sa.String(255), primary_key=True),
        sa.Column("added_by", sa.String(254), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    op.drop_table("partner_origin")
