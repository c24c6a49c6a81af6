"""Admin roles (viewer, organiser, exporter, owner) and a session epoch per admin, so a
password or role change, or logging out, ends every session of that admin on the server.
Every existing admin becomes an owner: nobody loses a right they had.

Revision ID: 0012_admin_roles
Revises: 0011_sources_and_tallies
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_admin_roles"
down_revision = "0011_sources_and_tallies"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("admin_user") as batch:
        batch.add_column(sa.Column("roles", sa.String(64), nullable=False, server_default="owner"))
        batch.add_column(sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("admin_user") as batch:
        batch.drop_column("session_epoch")
        batch.drop_column("roles")
