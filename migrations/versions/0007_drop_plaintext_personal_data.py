"""Personal data encrypted at rest, step 2 of 2 (contract): the plaintext is gone.

Seals any row `flask encrypt-personal-data` has not reached (with the app's keys), drops
the plaintext columns and the unique index of plaintext mailbox keys, clears mail errors
that quote an address, then rewrites the tables so no freed page keeps the text: VACUUM
(and an emptied WAL) on SQLite, VACUUM FULL on PostgreSQL. Both lock the database while they run: pause the site for this step.

Revision ID: 0007_drop_plaintext
Revises: 0006_encrypted_personal_data
Create Date: 2026-11-25
"""

import hashlib
import hmac
import os
import unicodedata

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
    # The app's keys, but a frozen copy of the sealing code as it was when this migration was
    # written: the site reads these boxes whatever its own layout has become since.
    from campaign_site.crypto.keyrings import blind_keyring, data_keyring

    data, blind = data_keyring(), blind_keyring()
    rows = bind.execute(
        sa.text("SELECT id, name, email, postcode_city FROM signature WHERE personal IS NULL")
    ).all()
    for done, row in enumerate(rows, 1):
        email = _clean(row.email) or ""
        # One name field then: which word is the given name cannot be known.
        fields = ("", _clean(row.name) or "", email, _clean(row.postcode_city) or "")
        try:
            bind.execute(
                sa.text(
                    "UPDATE signature SET personal = :box, email_hash = :index, name = NULL, "
                    "email = NULL, email_key = NULL, postcode_city = NULL WHERE id = :id"
                ),
                {"box": _seal_v1(fields, data), "index": _blind_index(email, blind), "id": row.id},
            )
        except sa.exc.IntegrityError:
            raise RuntimeError(
                f"Signature {row.id} belongs to a mailbox that already has a signature (a pair "
                "from before migration 0003's mailbox rule). Erase one of the two, then run "
                "this again."
            ) from None
        if done % 1000 == 0 or done == len(rows):
            print(f"0007: sealed {done:,} of {len(rows):,} signatures", flush=True)


def _clean(value):
    """text.clean_text as it was: NFC, control characters to spaces, no bidi overrides."""
    if value is None:
        return None
    bidi = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
    value = unicodedata.normalize("NFC", value)
    value = "".join(
        " " if unicodedata.category(ch) == "Cc" else ch for ch in value if ch not in bidi
    )
    return " ".join(value.split())


def _seal_v1(fields, ring) -> bytes:
    """A version 1 box: fields by position, unit-separated, NUL-padded to 32 bytes."""
    plaintext = "\x1f".join(fields).encode()
    plaintext += b"\x00" * (-len(plaintext) % 32)
    nonce = os.urandom(12)
    sealed = ring.ciphers[ring.current_id].encrypt(
        nonce, plaintext, b"campaign_site signature personal data v1"
    )
    return b"\x01" + ring.current_id + nonce + sealed


def _blind_index(email: str, ring) -> bytes:
    """The mailbox's keyed hash as it was: case, +tags and Gmail's dots ignored."""
    local, _, domain = email.casefold().rpartition("@")
    local = local.split("+", 1)[0] or local
    if domain in ("gmail.com", "googlemail.com"):
        domain, local = "gmail.com", local.replace(".", "") or local
    digest = hmac.digest(ring.current, f"{local}@{domain}".encode(), hashlib.sha256)
    return ring.current_id + digest


def _rewrite_freed_space():
    with op.get_context().autocommit_block():
        if op.get_bind().dialect.name == "sqlite":
            op.execute("VACUUM")
            op.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        elif op.get_bind().scalar(sa.text("SELECT EXISTS (SELECT FROM signature)")):
            op.execute("VACUUM FULL signature, outbox_message")
        # An empty PostgreSQL table has no page to rewrite, and VACUUM FULL would record it
        # as empty for good: each connection's cached foreign-key check of a new outbox row
        # then scanned the whole signature table, growing slower with every signature until
        # autovacuum's first ANALYZE (signing fell from 378/s to 266/s in 40 s on a new site).


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
