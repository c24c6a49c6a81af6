"""Signatures whose every email is discreet (no campaign words): the signer asked, kept an
address at a provider under Russian or Belarusian law, or its mail servers are such a
provider's. A partial index lets the dashboard count them without reading the rest.

Revision ID: 0017_discreet_mail
Revises: 0016_update_invalidated_count
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_discreet_mail"
down_revision = "0016_update_invalidated_count"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("signature") as batch:
        batch.add_column(
            sa.Column("discreet_mail", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.create_index(
        "ix_signature_discreet_mail",
        "signature",
        ["discreet_mail"],
        sqlite_where=sa.text("discreet_mail = 1"),
        postgresql_where=sa.text("discreet_mail"),
    )


def downgrade():
    op.drop_index("ix_signature_discreet_mail", table_name="signature")
    with op.batch_alter_table("signature") as batch:
        batch.drop_column("discreet_mail")
