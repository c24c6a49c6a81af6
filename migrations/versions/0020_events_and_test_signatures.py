"""An event's start time and venue (both optional), and the flag of a staff test signature:
one that never counts, never enters the review queue and is erased with one click. A
partial index finds the few test signatures without reading the rest.

Revision ID: 0020_events_and_test_signatures
Revises: 0019_partner_origins
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_events_and_test_signatures"
down_revision = "0019_partner_origins"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("starts_at", sa.Time, nullable=True))
        batch.add_column(sa.Column("venue", sa.String(200), nullable=True))
    with op.batch_alter_table("signature") as batch:
        batch.add_column(
            sa.Column("is_test", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.create_index(
        "ix_signature_is_test",
        "signature",
        ["is_test"],
        sqlite_where=sa.text("is_test = 1"),
        postgresql_where=sa.text("is_test"),
    )


def downgrade():
    # Test signatures never counted anywhere: they go, rather than become real ones.
    op.execute("DELETE FROM signature WHERE is_test")
    op.drop_index("ix_signature_is_test", table_name="signature")
    with op.batch_alter_table("signature") as batch:
        batch.drop_column("is_test")
    with op.batch_alter_table("event") as batch:
        batch.drop_column("venue")
        batch.drop_column("starts_at")
