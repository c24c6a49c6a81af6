"""Admin accounts a hostile state cannot quietly use: a second factor (TOTP secret sealed
under the data key, the last step used, hashed single-use recovery codes), an append-only
audit log of admin actions, and export requests that a second owner approves when
EXPORT_APPROVAL_REQUIRED is set.

Revision ID: 0013_admin_second_factor
Revises: 0012_admin_roles
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_admin_second_factor"
down_revision = "0012_admin_roles"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("admin_user") as batch:
        batch.add_column(sa.Column("totp_secret", sa.LargeBinary))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger))
        batch.add_column(sa.Column("recovery_codes", sa.Text, nullable=False, server_default=""))
    op.create_table(
        "admin_audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("admin_email", sa.String(254), nullable=False, server_default=""),
        sa.Column("action", sa.String(64), nullable=False, index=True),
        sa.Column("detail", sa.String(500), nullable=False, server_default=""),
    )
    op.create_table(
        "export_request",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("requested_by", sa.String(254), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("what", sa.String(64), nullable=False),
        sa.Column("approved_by", sa.String(254)),
        sa.Column("approved_at", sa.DateTime(timezone=True)),
        sa.Column("used_at", sa.DateTime(timezone=True)),
    )


def downgrade():
    op.drop_table("export_request")
    op.drop_table("admin_audit")
    with op.batch_alter_table("admin_user") as batch:
        batch.drop_column("recovery_codes")
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_secret")
