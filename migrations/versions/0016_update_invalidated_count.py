"""Campaign updates count the queued messages dropped because their signature was
invalidated as fraud during the send; until now they showed as "withdrew meanwhile".

Revision ID: 0016_update_invalidated_count
Revises: 0015_fraud_signals
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_update_invalidated_count"
down_revision = "0015_fraud_signals"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("campaign_update") as batch:
        batch.add_column(
            sa.Column("invalidated_count", sa.Integer, nullable=False, server_default="0")
        )


def downgrade():
    with op.batch_alter_table("campaign_update") as batch:
        batch.drop_column("invalidated_count")
