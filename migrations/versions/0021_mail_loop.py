"""The mail loop: one reminder to confirm (when it was claimed), whether a mailbox takes
our mail (ok, bounced, complained, with its soft bounces counted), and the random token of
each message's VERP return path. Partial indexes count the few reminded, bounced or
complaining signatures without reading the rest.

Revision ID: 0021_mail_loop
Revises: 0020_events_and_test_signatures
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_mail_loop"
down_revision = "0020_events_and_test_signatures"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("signature") as batch:
        batch.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("mail_status", sa.String(16), nullable=False, server_default="ok")
        )
        batch.add_column(sa.Column("soft_bounces", sa.Integer, nullable=False, server_default="0"))
    op.create_index(
        "ix_signature_reminded_at",
        "signature",
        ["reminded_at"],
        sqlite_where=sa.text("reminded_at IS NOT NULL"),
        postgresql_where=sa.text("reminded_at IS NOT NULL"),
    )
    op.create_index(
        "ix_signature_mail_status",
        "signature",
        ["mail_status"],
        sqlite_where=sa.text("mail_status <> 'ok'"),
        postgresql_where=sa.text("mail_status <> 'ok'"),
    )
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("return_token", sa.String(32), nullable=True))
        batch.create_unique_constraint("uq_outbox_message_return_token", ["return_token"])


def downgrade():
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_constraint("uq_outbox_message_return_token", type_="unique")
        batch.drop_column("return_token")
    op.drop_index("ix_signature_mail_status", table_name="signature")
    op.drop_index("ix_signature_reminded_at", table_name="signature")
    with op.batch_alter_table("signature") as batch:
        batch.drop_column("soft_bounces")
        batch.drop_column("mail_status")
        batch.drop_column("reminded_at")
