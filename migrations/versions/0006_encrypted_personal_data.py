"""Personal data encrypted at rest, step 1 of 2 (expand): room for the sealed form.

Adds the ciphertext column and the blind index beside the plaintext columns, which become
nullable. `flask encrypt-personal-data` then seals the existing rows in batches, and
0007 drops the plaintext columns (sealing any row the command has not reached).

Revision ID: 0006_encrypted_personal_data
Revises: 0005_signature_language
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_encrypted_personal_data"
down_revision = "0005_signature_language"
branch_labels = None
depends_on = None

BLIND_INDEX_BYTES = 36  # key id (4) + HMAC-SHA256 (32)


def upgrade():
    with op.batch_alter_table("signature") as batch:
        batch.add_column(sa.Column("personal", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("email_hash", sa.LargeBinary(BLIND_INDEX_BYTES), nullable=True))
        batch.create_unique_constraint(op.f("uq_signature_email_hash"), ["email_hash"])
        for column, length in (("name", 200), ("email", 254), ("email_key", 254)):
            batch.alter_column(column, existing_type=sa.String(length), nullable=True)


def downgrade():
    # Sealed rows are not turned back into plaintext: this fails on them (NOT NULL) by design.
    with op.batch_alter_table("signature") as batch:
        batch.drop_constraint(op.f("uq_signature_email_hash"), type_="unique")
        batch.drop_column("email_hash")
        batch.drop_column("personal")
        for column, length in (("name", 200), ("email", 254), ("email_key", 254)):
            batch.alter_column(column, existing_type=sa.String(length), nullable=False)
