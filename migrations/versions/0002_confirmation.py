"""Double opt-in: signature status and token nonce, the mail outbox, daily tallies.

Signatures stored before this revision were counted as soon as they were made, so they
become confirmed (confirmed_at = signed_at) and the count does not move.

Revision ID: 0002_confirmation
Revises: 0001_initial
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_confirmation"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

# A random 32-hex-digit nonce per existing row, in each database's own SQL.
RANDOM_NONCE = {
    "postgresql": "md5(random()::text || id::text)",
    "sqlite": "lower(hex(randomblob(16)))",
}


def upgrade():
    op.create_table(
        "daily_tally",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("signatures", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "country", name=op.f("pk_daily_tally")),
    )
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signature.id"],
            name=op.f("fk_outbox_message_signature_id_signature"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
    )
    op.create_index(
        "ix_outbox_message_sent_at_next_attempt_at",
        "outbox_message",
        ["sent_at", "next_attempt_at"],
    )
    op.create_index(op.f("ix_outbox_message_signature_id"), "outbox_message", ["signature_id"])

    with op.batch_alter_table("signature") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="confirmed")
        )
        batch.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("token_nonce", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("last_emailed_at", sa.DateTime(timezone=True), nullable=True))
    nonce = RANDOM_NONCE[op.get_bind().dialect.name]
    op.execute(f"UPDATE signature SET confirmed_at = signed_at, token_nonce = {nonce}")
    with op.batch_alter_table("signature") as batch:
        batch.alter_column("status", server_default=None, existing_type=sa.String(length=16))
        batch.alter_column("token_nonce", nullable=False, existing_type=sa.String(length=32))
        batch.drop_index("ix_signature_show_name_id")
        batch.create_index("ix_signature_status_show_name_id", ["status", "show_name", "id"])
        batch.create_index("ix_signature_status_signed_at", ["status", "signed_at"])


def downgrade():
    # The first version counted every row: keep pending rows and make the count match them.
    with op.batch_alter_table("signature") as batch:
        batch.drop_index("ix_signature_status_signed_at")
        batch.drop_index("ix_signature_status_show_name_id")
        batch.create_index("ix_signature_show_name_id", ["show_name", "id"])
        batch.drop_column("last_emailed_at")
        batch.drop_column("token_nonce")
        batch.drop_column("confirmed_at")
        batch.drop_column("status")
    op.execute("UPDATE signature_count_shard SET count = 0")
    op.execute(
        "UPDATE signature_count_shard SET count = (SELECT COUNT(*) FROM signature) WHERE shard = 0"
    )
    op.drop_index(op.f("ix_outbox_message_signature_id"), table_name="outbox_message")
    op.drop_index("ix_outbox_message_sent_at_next_attempt_at", table_name="outbox_message")
    op.drop_table("outbox_message")
    op.drop_table("daily_tally")
