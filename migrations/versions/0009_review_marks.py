"""Review marks on signatures (too_fast, no_form_stamp, busy_address): signatures that
were once dropped or refused are now stored, counted and marked for a second look.

Revision ID: 0009_review_marks
Revises: 0008_lockout_per_source
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_review_marks"
down_revision = "0008_lockout_per_source"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("signature") as batch:
        batch.add_column(
            sa.Column("review_marks", sa.String(64), nullable=False, server_default="")
        )


def downgrade():
    with op.batch_alter_table("signature") as batch:
        batch.drop_column("review_marks")
