"""The language a signature was given in, so its emails are written in that language.

Existing signatures were all given on the English site.

Revision ID: 0005_signature_language
Revises: 0004_export_index
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_signature_language"
down_revision = "0004_export_index"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("signature") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=False, server_default="en"))


def downgrade():
    with op.batch_alter_table("signature") as batch:
        batch.drop_column("language")
