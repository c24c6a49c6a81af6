"""Keeping every stored row readable: key checks, key rotation, encrypting plaintext rows.

Rotation and encryption run in short batches, each its own transaction, so the site keeps
serving while they work and an interrupted run simply starts again (rows already done are
read and skipped, never written twice).
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Row, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute

from campaign_site.crypto import box_format, signal_hashes
from campaign_site.crypto.keyrings import KEY_ID_BYTES, Keyring, blind_keyring, data_keyring
from campaign_site.crypto.mailbox_index import blind_index, index_for_a_test
from campaign_site.crypto.sealed_box import Person, box_key_id, missing_key_message, open_box, seal
from campaign_site.database import read_transaction, write_transaction
from campaign_site.extensions import db
from campaign_site.models import Signature
from campaign_site.text import clean_text

BATCH_SIZE = 1000
# (rows looked at, rows in all, rows rewritten) after each batch.
Progress = Callable[[int, int, int], None]


def blind_key_problem() -> str | None:
    """Why signing must not run, if some row's blind index was made by an unconfigured key.

    Cheap enough for every few seconds: the key id leads the unique index, so this is a
    few empty range scans between the configured ids.
    """
    keyring = blind_keyring()
    outside = []
    lower = None
    for kid in sorted(keyring.ids):
        below = Signature.mailbox_index < kid
        outside.append(below if lower is None else sa.and_(Signature.mailbox_index >= lower, below))
        lower = _after_prefix(kid)
    if lower is not None:
        outside.append(Signature.mailbox_index >= lower)
    row = db.session.execute(select(Signature.mailbox_index).where(or_(*outside)).limit(1)).first()
    if row is None:
        return None
    return missing_key_message(keyring, {bytes(row.mailbox_index[:KEY_ID_BYTES])})


def _after_prefix(prefix: bytes) -> bytes | None:
    """The smallest value above every value that starts with prefix (None past ff..ff)."""
    number = int.from_bytes(prefix, "big") + 1
    if number >= 1 << (8 * len(prefix)):
        return None
    return number.to_bytes(len(prefix), "big")


def rows_per_data_key() -> Counter[bytes]:
    """How many signatures each data key sealed (reads every row's 5-byte header)."""
    prefix = _sealing_key_id()
    rows = db.session.execute(select(prefix, func.count()).group_by(prefix))
    return Counter({bytes(kid): n for kid, n in rows})


def _sealing_key_id() -> ColumnElement[bytes]:
    return data_key_id_of(Signature.identity)


def data_key_id_of(
    box: ColumnElement[bytes] | InstrumentedAttribute[bytes],
) -> ColumnElement[bytes]:
    """SQL for the id of the data key a sealed box column was made with (SQL counts from 1)."""
    return func.substr(box, box_format.KEY_ID_AT.start + 1, KEY_ID_BYTES)


def blind_key_id_of(
    index: ColumnElement[bytes] | InstrumentedAttribute[bytes],
) -> ColumnElement[bytes]:
    """SQL for the id of the blind index key a mailbox index column was made with."""
    return func.substr(index, 1, KEY_ID_BYTES)


def data_key_problem() -> str | None:
    """Why the export cannot run, if some row was sealed under an unconfigured key.

    One scan that stops at the first such row (0.2 s per million rows here, a third of
    grouping by key): the export runs it so it never breaks off a half-written file.
    """
    keyring = data_keyring()
    prefix = _sealing_key_id()
    row = db.session.execute(select(prefix).where(prefix.not_in(keyring.ids)).limit(1)).first()
    return missing_key_message(keyring, {bytes(row[0])}) if row else None


@dataclass
class RotationResult:
    examined: int = 0
    rewritten: int = 0


def rotate_keys(batch_size: int = BATCH_SIZE, progress: Progress | None = None) -> RotationResult:
    """Re-encrypt every row under the current data key and re-index it under the current
    blind index key; rows already current are left alone."""
    data, blind = data_keyring(), blind_keyring()
    with read_transaction(db.session):
        total = db.session.scalar(select(func.count(Signature.id))) or 0
    result, last_id = RotationResult(), 0
    while True:
        with write_transaction(db.session):
            rows = db.session.execute(
                select(
                    Signature.id,
                    Signature.identity,
                    Signature.mailbox_index,
                    Signature.domain_hash,
                    Signature.is_test,
                )
                .where(Signature.id > last_id)
                .order_by(Signature.id)
                .limit(batch_size)
                .with_for_update()  # PostgreSQL: no one changes these rows mid-batch
            ).all()
            for row in rows:
                result.rewritten += _rotate_row(row, data, blind)
        if not rows:
            return result
        last_id = rows[-1].id
        result.examined += len(rows)
        if progress:
            progress(result.examined, total, result.rewritten)


def _rotate_row(
    row: Row[int, bytes, bytes, bytes | None, bool], data: Keyring, blind: Keyring
) -> bool:
    """Also makes the domain hash (a fraud signal) under the current key, or for the first
    time for signatures from before it was kept."""
    if (
        box_key_id(row.identity) == data.current_id
        and row.mailbox_index[:KEY_ID_BYTES] == blind.current_id
        and row.domain_hash is not None
        and row.domain_hash[:KEY_ID_BYTES] == blind.current_id
    ):
        return False
    person = open_box(row.identity, data)
    index = blind_index(person.email, blind.current, blind.current_id)
    db.session.execute(
        update(Signature)
        .where(Signature.id == row.id)
        .values(
            identity=seal(person, data),
            mailbox_index=index_for_a_test(index) if row.is_test else index,
            domain_hash=signal_hashes.domain_hash(person.email, blind),
        )
        .execution_options(synchronize_session=False)
    )
    return True


class DuplicateMailbox(RuntimeError):
    """Two plaintext rows of one mailbox (possible where migration 0003 left a pair alone)."""

    def __init__(self, signature_id: int) -> None:
        super().__init__(
            f"Signature {signature_id} belongs to a mailbox that already has a signature (a pair "
            "from before migration 0003's mailbox rule, which left such pairs alone). It was "
            "left as it was: erase one of the two (e.g. DELETE FROM signature WHERE id = ...), "
            "then run this again."
        )


# The signature table as it stood before encryption (migration 0006 keeps both forms).
PLAINTEXT_SIGNATURE = sa.table(
    "signature",
    sa.column("id"),
    sa.column("name"),
    sa.column("email"),
    sa.column("email_key"),
    sa.column("postcode_city"),
    sa.column("personal"),
    sa.column("email_hash"),
)


def encrypt_plaintext(
    connection: Connection,
    data: Keyring,
    blind: Keyring,
    batch_size: int = BATCH_SIZE,
    after_batch: Callable[[], None] | None = None,
    progress: Progress | None = None,
) -> int:
    """Seal rows still holding plaintext and blank their plaintext columns; returns how many.

    after_batch commits (the CLI command) or does nothing (inside a migration).
    """
    table = PLAINTEXT_SIGNATURE
    todo = table.c.personal.is_(None)
    total = connection.scalar(select(func.count()).select_from(table).where(todo)) or 0
    done = 0
    while True:
        rows = connection.execute(
            select(table.c.id, table.c.name, table.c.email, table.c.postcode_city)
            .where(todo)
            .order_by(table.c.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return done
        for row in rows:
            person = Person(
                "",  # one name field then: which word is the given name cannot be known
                clean_text(row.name) or "",
                clean_text(row.email) or "",
                clean_text(row.postcode_city),
            )
            try:
                connection.execute(
                    update(table)
                    .where(table.c.id == row.id)
                    .values(
                        personal=seal(person, data),
                        email_hash=blind_index(person.email, blind.current, blind.current_id),
                        name=None,
                        email=None,
                        email_key=None,
                        postcode_city=None,
                    )
                )
            except IntegrityError:
                raise DuplicateMailbox(row.id) from None
        done += len(rows)
        if after_batch:
            after_batch()
        if progress:
            progress(done, total, done)
