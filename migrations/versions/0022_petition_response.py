"""The addressee's answer (one row, texts per language as JSON) and the days milestones of
the content file were reached (recorded once, so the page's dates never move).

Revision ID: 0022_petition_response
Revises: 0021_mail_loop
Create Date: 2026-12-20
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_petition_response"
down_revision = "0021_mail_loop"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "petition_response",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("responded_on", sa.Date, nullable=False),
        sa.Column("texts", sa.Text, nullable=False),
        sa.Column("link", sa.String(500), nullable=False, server_default=""),
        sa.Column("updated_by", sa.String(254), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "milestone_reached",
        sa.Column("signatures", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("reached_on", sa.Date, nullable=False),
    )


def downgrade():
    op.drop_table("milestone_reached")
    op.drop_table("petition_response")
