"""Index (status, id): the CSV export of one status streams in id order without a sort.

Without it both databases sorted every matching row before sending the first one.

Revision ID: 0004_export_index
Revises: 0003_hardening
Create Date: 2026-11-25
"""

from alembic import op

revision = "0004_export_index"
down_revision = "0003_hardening"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_signature_status_id", "signature", ["status", "id"])


def downgrade():
    op.drop_index("ix_signature_status_id", table_name="signature")
