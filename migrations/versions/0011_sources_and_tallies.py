"""Where signatures come from, and counts that need no scan: signature.source and
source_campaign (a link's ?source= / utm_*), the signature_tally per hour, source and
country (backfilled from the signatures held), screenings and events with their source
codes, and paper signatures entered per event and country.

Revision ID: 0011_sources_and_tallies
Revises: 0010_token_nonce_index
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_sources_and_tallies"
down_revision = "0010_token_nonce_index"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("signature") as batch:
        batch.add_column(sa.Column("source", sa.String(64)))
        batch.add_column(sa.Column("source_campaign", sa.String(64)))
    op.create_table(
        "signature_tally",
        sa.Column("hour", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("country", sa.String(2), primary_key=True),
        sa.Column("language", sa.String(8), primary_key=True),
        sa.Column("signed", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("confirmed", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("informed", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("repeats", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_table(
        "event",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("film", sa.String(16), nullable=False, server_default="justice"),
        sa.Column("language", sa.String(8), nullable=False, server_default="en"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "paper_count",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("event.id")),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("signatures", sa.Integer, nullable=False),
        sa.Column("note", sa.String(200), nullable=False, server_default=""),
        sa.Column("entered_by", sa.String(254), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
    )
    _backfill_tallies()


def _backfill_tallies():
    """The signatures held today, counted per hour, country and language, and those already
    anonymised (daily_tally: confirmed, language no longer known) at midnight of their day."""
    if op.get_bind().dialect.name == "postgresql":
        hour = "date_trunc('hour', signed_at)"
        midnight = "(day::timestamp AT TIME ZONE 'UTC')"
    else:  # the text SQLAlchemy stores for a DateTime on SQLite
        hour = "strftime('%Y-%m-%d %H:00:00.000000', signed_at)"
        midnight = "(day || ' 00:00:00.000000')"
    confirmed = "CASE WHEN status = 'confirmed' THEN 1 ELSE 0 END"
    op.execute(
        "INSERT INTO signature_tally"
        " (hour, source, country, language, signed, confirmed, informed, repeats) "
        "SELECT hour, '', country, language, sum(signed), sum(confirmed), sum(informed), 0"
        f" FROM (SELECT {hour} AS hour, country, language, 1 AS signed, {confirmed} AS confirmed,"
        f"   CASE WHEN keep_informed THEN {confirmed} ELSE 0 END AS informed FROM signature"
        f"  UNION ALL SELECT {midnight}, country, 'en', signatures, signatures, 0 FROM daily_tally"
        ") AS held GROUP BY hour, country, language"
    )


def downgrade():
    op.drop_table("paper_count")
    op.drop_table("event")
    op.drop_table("signature_tally")
    with op.batch_alter_table("signature") as batch:
        batch.drop_column("source_campaign")
        batch.drop_column("source")
