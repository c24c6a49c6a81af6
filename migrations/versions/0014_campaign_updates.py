"""Campaign updates from the site itself: the updates and their texts per language, the
outbox rows that carry them, the shared pacing allowance, and which signatures proved
their mailbox by opening the confirmation link.

Signatures confirmed before this revision proved their mailbox when their confirmed_at
differs from signed_at: one counted on signing (CONFIRMATION_REQUIRED off) got both from
the same instant.

Revision ID: 0014_campaign_updates
Revises: 0013_admin_second_factor
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_campaign_updates"
down_revision = "0013_admin_second_factor"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "campaign_update",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("written_by", sa.String(254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("language", sa.String(8)),
        sa.Column("country", sa.String(2)),
        sa.Column("source", sa.String(64)),
        sa.Column("sent_by", sa.String(254)),
        sa.Column("queued_at", sa.DateTime(timezone=True)),
        sa.Column("recipients", sa.Integer),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("sent_count", sa.Integer),
        sa.Column("failed_count", sa.Integer),
        sa.Column("unsubscribed_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("cancelled_by", sa.String(254)),
        sa.Column("cancelled_at", sa.DateTime(timezone=True)),
        sa.Column("cancelled_count", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "campaign_update_text",
        sa.Column(
            "update_id",
            sa.Integer,
            sa.ForeignKey("campaign_update.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("language", sa.String(8), primary_key=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_table(
        "mail_pace",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("tokens", sa.Float, nullable=False),
        sa.Column("refilled_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("update_id", sa.Integer))
        batch.create_foreign_key(
            "fk_outbox_message_update_id", "campaign_update", ["update_id"], ["id"]
        )
        batch.create_index("ix_outbox_message_queue", ["update_id", "sent_at", "next_attempt_at"])
    with op.batch_alter_table("signature") as batch:
        batch.add_column(
            sa.Column("mailbox_proven", sa.Boolean, nullable=False, server_default=sa.false())
        )
    signature = sa.table(
        "signature",
        sa.column("status", sa.String),
        sa.column("signed_at", sa.DateTime(timezone=True)),
        sa.column("confirmed_at", sa.DateTime(timezone=True)),
        sa.column("mailbox_proven", sa.Boolean),
    )
    op.execute(
        signature.update()
        .where(
            signature.c.status == "confirmed",
            signature.c.confirmed_at.is_not(None),
            signature.c.confirmed_at != signature.c.signed_at,
        )
        .values(mailbox_proven=True)
    )


def downgrade():
    with op.batch_alter_table("signature") as batch:
        batch.drop_column("mailbox_proven")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_index("ix_outbox_message_queue")
        batch.drop_constraint("fk_outbox_message_update_id", type_="foreignkey")
        batch.drop_column("update_id")
    op.drop_table("mail_pace")
    op.drop_table("campaign_update_text")
    op.drop_table("campaign_update")
