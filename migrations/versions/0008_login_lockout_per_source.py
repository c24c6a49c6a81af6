"""Admin lockout moves out of the account row: wrong passwords are now counted per account
and source address together in the rate-limit store (rate_limits.LoginLockout), so a
guesser can no longer lock an admin out from everywhere.

Revision ID: 0008_lockout_per_source
Revises: 0007_drop_plaintext
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_lockout_per_source"
down_revision = "0007_drop_plaintext"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("admin_user") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")


def downgrade():
    with op.batch_alter_table("admin_user") as batch:
        batch.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
