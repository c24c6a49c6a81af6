"""A covering index on the tally for the dashboard's breakdown (sums per source, country and
language): SQLite sorted every tally row for that GROUP BY, 420 ms at 1,000,000 signatures
(267,000 tally rows); reading the index in order takes 49 ms. PostgreSQL can use it too.

Revision ID: 0024_tally_breakdown_index
Revises: 0023_organisations
Create Date: 2026-12-06
"""

from alembic import op

revision = "0024_tally_breakdown_index"
down_revision = "0023_organisations"
branch_labels = None
depends_on = None

COLUMNS = ["source", "country", "language", "signed", "confirmed", "informed"]


def upgrade():
    op.create_index("ix_signature_tally_breakdown", "signature_tally", COLUMNS)


def downgrade():
    op.drop_index("ix_signature_tally_breakdown", table_name="signature_tally")
