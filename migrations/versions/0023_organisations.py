"""Organisations that co-sign: their name, website, country, sealed contact address, the
re-encoded logo, and where they stand (confirmed by their contact, approved by organisers).
The outbox can now carry a message to an organisation's contact instead of a signer.

Revision ID: 0023_organisations
Revises: 0022_petition_response
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_organisations"
down_revision = "0022_petition_response"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("website", sa.String(300), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("contact", sa.LargeBinary, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(254), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token_nonce", sa.String(32), nullable=False),
        sa.Column("logo", sa.LargeBinary, nullable=False),
        sa.Column("logo_type", sa.String(16), nullable=False),
        sa.Column("logo_width", sa.Integer, nullable=False),
        sa.Column("logo_height", sa.Integer, nullable=False),
        sa.Column("logo_digest", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organisation"),
    )
    op.create_index("ix_organisation_token_nonce", "organisation", ["token_nonce"])
    op.create_index("ix_organisation_logo_digest", "organisation", ["logo_digest"])
    op.create_index(
        "ix_organisation_status_confirmed_at", "organisation", ["status", "confirmed_at"]
    )
    with op.batch_alter_table("outbox_message") as batch:
        batch.alter_column("signature_id", existing_type=sa.Integer, nullable=True)
        batch.add_column(sa.Column("organisation_id", sa.Integer, nullable=True))
        batch.create_foreign_key(
            "fk_outbox_message_organisation_id_organisation",
            "organisation",
            ["organisation_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index("ix_outbox_message_organisation_id", ["organisation_id"])


def downgrade():
    op.execute("DELETE FROM outbox_message WHERE organisation_id IS NOT NULL")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_index("ix_outbox_message_organisation_id")
        batch.drop_constraint("fk_outbox_message_organisation_id_organisation", type_="foreignkey")
        batch.drop_column("organisation_id")
        batch.alter_column("signature_id", existing_type=sa.Integer, nullable=False)
    op.drop_table("organisation")
