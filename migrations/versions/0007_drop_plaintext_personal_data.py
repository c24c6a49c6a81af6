"""Personal data encrypted at rest, step 2 of 2 (contract): the plaintext is gone.

Seals any row `flask encrypt-personal-data` has not reached (with the app's keys), drops
the plaintext columns and the unique index of plaintext mailbox keys, clears mail errors
that quote an address, then rewrites the tables so no freed page keeps the text: VACUUM
(and an emptied WAL) on SQLite, VACUUM FULL on PostgreSQL. Both lock the database while they run: pause the site for this step.

Revision ID: 0007_drop_plaintext
Revises: 0006_encrypted_personal_data
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_drop_plaintext"
down_revision = "0006_encrypted_personal_data"
branch_labels = None
depends_on = None

PLAINTEXT_COLUMNS = ("name", "email", "email_key", "postcode_city")


def upgrade():
    _seal_leftovers()
    # Mail servers quote the recipient in their errors; older versions stored those as given.
    op.execute("UPDATE outbox_message SET last_error = NULL WHERE last_error LIKE '%@%'")
    with op.batch_alter_table("signature") as batch:
        batch.drop_constraint(op.f("uq_signature_email_key"), type_="unique")
        for column in PLAINTEXT_COLUMNS:
            batch.drop_column(column)
        batch.alter_column("personal", existing_type=sa.LargeBinary(), nullable=False)
        batch.alter_column("email_hash", existing_type=sa.LargeBinary(36), nullable=False)
    _rewrite_freed_space()


def _seal_leftovers():
    bind = op.get_bind()
    left = bind.scalar(sa.text("SELECT count(*) FROM signature WHERE personal IS NULL"))
    if not left:
        return
    # The app's own sealing code and keys: the migration must write what the app reads.
    from campaign_site.crypto.key_maintenance import encrypt_plaintext
    from campaign_site.crypto.keyrings import blind_keyring, data_keyring

    def progress(done, total, _rewritten):
        print(f"0007: sealed {done:,} of {total:,} signatures", flush=True)

    encrypt_plaintext(bind, data_keyring(), blind_keyring(), progress=progress)


def _rewrite_freed_space():
    with op.get_context().autocommit_block():
        if op.get_bind().dialect.name == "sqlite":
            op.execute("VACUUM")
            op.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            op.execute("VACUUM FULL signature, outbox_message")


def downgrade():
    """Only an empty table goes back: sealed data is never written out as plaintext again."""
    if op.get_bind().scalar(sa.text("SELECT count(*) FROM signature")):
        raise RuntimeError(
            "0007 cannot be undone while signatures are stored: writing supporters' data back "
            "in plaintext is exactly what this migration exists to prevent."
        )
    with op.batch_alter_table("signature") as batch:
        batch.add_column(sa.Column("name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("email", sa.String(254), nullable=True))
        batch.add_column(sa.Column("email_key", sa.String(254), nullable=True))
        batch.add_column(sa.Column("postcode_city", sa.String(100), nullable=True))
        batch.create_unique_constraint(op.f("uq_signature_email_key"), ["email_key"])
        batch.alter_column("personal", existing_type=sa.LargeBinary(), nullable=True)
        batch.alter_column("email_hash", existing_type=sa.LargeBinary(36), nullable=True)
