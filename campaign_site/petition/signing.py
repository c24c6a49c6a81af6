"""Signing, confirming, withdrawing, erasing, and the admin's search by email: one signature
per mailbox, decided by the database.

Every write here runs in one transaction that commits or rolls back as a whole, and
every rule that could race (one row per mailbox, one count per confirmation) is decided
by the database in a single statement, never by a check before a write.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any, cast

from flask import current_app
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Row,
    Table,
    bindparam,
    case,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import ReturningInsert, ReturningUpdate

from campaign_site.crypto import signal_hashes
from campaign_site.crypto.mailbox_index import blind_indexes, index_for_a_test
from campaign_site.crypto.sealed_box import Person, seal
from campaign_site.database import affected_rows, read_transaction, write_transaction
from campaign_site.extensions import db
from campaign_site.languages import DEFAULT_LANGUAGE
from campaign_site.models import (
    MailStatus,
    Signature,
    SignatureStatus,
    new_token_nonce,
    utcnow,
)
from campaign_site.petition import (
    erasure_ledger,
    link_tokens,
    mail_queue,
    mail_risk,
    tallies,
    updates,
)
from campaign_site.petition.counting import add_to_count, shown_name
from campaign_site.petition.mail_queue import MailKind
from campaign_site.petition.signing_state import confirmation_required

SIGNATURES = cast(Table, Signature.__table__)


# Review marks: a signature is stored and counted, and organisers can look at it again.
TOO_FAST = "too_fast"  # sent back faster than SIGNING_MIN_SECONDS (or phone autofill)


NO_FORM_STAMP = "no_form_stamp"  # without the signed "form served at" stamp


BUSY_ADDRESS = "busy_address"  # one of many from the same address (SIGN_REVIEW_THRESHOLD)


@dataclass(frozen=True)
class NewSignature:
    """What a supporter submits, already validated and normalized by the form."""

    given_name: str
    family_name: str
    email: str
    country: str
    postcode_city: str | None
    keep_informed: bool
    show_name: bool
    language: str = DEFAULT_LANGUAGE
    review_marks: tuple[str, ...] = ()
    source: str | None = None  # the link's ?source= (or utm_source), already validated
    source_campaign: str | None = None  # its utm_campaign
    network_hash: bytes | None = None  # the client's network, hashed (crypto/signal_hashes.py)
    discreet_mail: bool = False  # asked for discreet emails (or kept a listed address)
    is_test: bool = False  # a staff test (test_signatures.py): stored, never counted


def record_signature(new: NewSignature) -> None:
    """Store a signature unless its mailbox has signed, and queue the email it calls for.

    The caller learns nothing about which happened: a repeat must look like a first, in
    its answer and, as far as the database allows, in its timing: a first writes the new
    row, a repeat writes the existing one (see _claim_mail_slot), and both flush to disk.
    """
    now = utcnow()
    indexes = blind_indexes(new.email)
    if new.is_test:  # never the index of a real signature: a test is never a repeat of one
        indexes = [index_for_a_test(index) for index in indexes]
    discreet = mail_risk.asks_for_discretion(new.email, new.discreet_mail)
    with write_transaction(db.session):
        signature_id = _insert_signature(new, now, indexes, discreet)
        key = tallies.Key(now, new.source, new.country, new.language)
        if new.is_test:
            _mail_a_test(signature_id, indexes, now, discreet)
        elif signature_id is None:
            _remind_repeat_signer(indexes, now, discreet)
            tallies.add(key, repeats=1)  # the same work as a first
        elif confirmation_required():
            mail_queue.enqueue(signature_id, MailKind.CONFIRM)
            tallies.add(key, signed=1)
        else:
            add_to_count(1)
            tallies.add(key, signed=1, confirmed=1, informed=int(new.keep_informed))


def _mail_a_test(
    signature_id: int | None, indexes: list[bytes], now: datetime, discreet: bool
) -> None:
    """A test moves no count and no tally; it gets the mail a signer would, to try it."""
    if signature_id is None:
        _remind_repeat_signer(indexes, now, discreet)
    elif confirmation_required():
        mail_queue.enqueue(signature_id, MailKind.CONFIRM)


def _insert_signature(
    new: NewSignature, now: datetime, indexes: list[bytes], discreet: bool
) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING: the new row's id, or None if the mailbox signed.

    The unique blind index decides under the current key. While an old blind index key is
    still being rotated out, rows made with it are looked for first (the writer lock on
    SQLite, and the unique index on PostgreSQL, keep that free of races).
    """
    if len(indexes) > 1 and _signed_under(indexes[1:]):
        return None
    confirmed = not confirmation_required()
    row = {
        "identity": seal(Person(new.given_name, new.family_name, new.email, new.postcode_city)),
        "mailbox_index": indexes[0],
        "country": new.country,
        "language": new.language,
        "keep_informed": new.keep_informed,
        "show_name": new.show_name,
        "signed_at": now,
        "status": SignatureStatus.CONFIRMED if confirmed else SignatureStatus.PENDING,
        "confirmed_at": now if confirmed else None,
        "token_nonce": new_token_nonce(),
        "last_emailed_at": None if confirmed else now,
        "review_marks": ",".join(sorted(set(new.review_marks))),
        "source": new.source,
        "source_campaign": new.source_campaign,
        "network_hash": new.network_hash,
        "domain_hash": signal_hashes.domain_hash(new.email),
        "discreet_mail": discreet,
        "is_test": new.is_test,
    }
    dialect = db.session.get_bind().dialect.name
    signature_id: int | None = db.session.scalar(_insert_statement(dialect), row)
    return signature_id


def _signed_under(indexes: list[bytes]) -> bool:
    found = select(Signature.id).where(Signature.mailbox_index.in_(indexes)).limit(1)
    return db.session.scalar(found) is not None


@cache
def _insert_statement(dialect: str) -> ReturningInsert[int]:
    """Built once per dialect (building it per signature showed in the profile).

    The Table, not the mapped class, so it runs as plain Core without the ORM's bulk path.
    """
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = SIGNATURES
    statement: ReturningInsert[int] = (
        insert(table)
        .on_conflict_do_nothing(index_elements=[table.c.mailbox_index])
        .returning(table.c.id)
    )
    return statement


def find_by_email(email: str) -> Signature | None:
    """The signature of an address's mailbox, found through its blind index (admin search)."""
    return db.session.scalar(
        select(Signature).where(Signature.mailbox_index.in_(blind_indexes(email)))
    )


def _remind_repeat_signer(indexes: list[bytes], now: datetime, discreet: bool) -> None:
    """Mail the mailbox's owner (their link again, or 'already signed'), at most once an
    interval; a repeat that asks for discreet mail makes it discreet for good."""
    claimed = _claim_mail_slot(now, discreet, mailbox_indexes=indexes)
    if claimed is not None and confirmation_required():
        kind = (
            MailKind.CONFIRM
            if claimed.status == SignatureStatus.PENDING
            else MailKind.ALREADY_SIGNED
        )
        mail_queue.enqueue(claimed.id, kind)


def _claim_mail_slot(now: datetime, discreet: bool, **which: object) -> Row[Any] | None:
    """Mark a signature as mailed now, unless it was mailed within RESEND_INTERVAL_MINUTES;
    make its mail discreet if asked (never the other way).

    `which` is mailbox_indexes=[...] or signature_id=...; returns the row's (id, status) when claimed,
    else None. One statement, so two requests at once cannot both send. It writes the row
    either way (keeping the old time when the slot is taken): a repeat then costs a write
    and its flush to disk, as a first does.
    """
    [(selector, value)] = which.items()
    cutoff = now - timedelta(minutes=current_app.config["RESEND_INTERVAL_MINUTES"])
    row = db.session.execute(
        _claim_statement(selector),
        {selector: value, "now": now, "cutoff": cutoff, "discreet": discreet},
    ).first()
    return row if row is not None and row.claimed else None


@cache
def _claim_statement(selector: str) -> ReturningUpdate[tuple[int, str, bool]]:
    """Built once per selector, in plain Core on the Table as the insert is: building it per
    call and the ORM's bulk-update path made a repeat slower than a first (RESULTS.md), and
    a repeat must not be told apart by its timing."""
    table = SIGNATURES
    when = table.c.last_emailed_at
    now, cutoff = bindparam("now", type_=when.type), bindparam("cutoff", type_=when.type)
    where: ColumnElement[bool]
    if selector == "mailbox_indexes":
        where = table.c.mailbox_index.in_(bindparam("mailbox_indexes", expanding=True))
    else:
        where = table.c.id == bindparam("signature_id")
    free = or_(when.is_(None), when < cutoff)
    discreet = or_(table.c.discreet_mail, bindparam("discreet", type_=Boolean))
    values: dict[str, Any] = {
        "last_emailed_at": case((free, now), else_=when),
        "discreet_mail": discreet,
    }
    if selector == "mailbox_indexes":
        # Signing again says the mailbox works: one that bounced takes mail again (a
        # complaint stands: it still gets only the links it asks for).
        bounced = table.c.mail_status == MailStatus.BOUNCED.value
        values["mail_status"] = case((bounced, MailStatus.OK.value), else_=table.c.mail_status)
        values["soft_bounces"] = 0
    return (
        update(table)
        .where(where)
        .values(values)
        .returning(table.c.id, table.c.status, (when == now).label("claimed"))
    )


def send_fresh_withdraw_link(token: str) -> None:
    """Mail a new withdraw link for an expired one, if its signature is still held.

    The caller learns nothing of whether it was: the page is the same either way.
    """
    with write_transaction(db.session):
        signature: Signature | None
        try:
            signature = link_tokens.signature_for(token, link_tokens.WITHDRAW)
        except link_tokens.TokenExpired as expired:
            signature = expired.signature
        except link_tokens.TokenInvalid:
            return
        if signature is None:
            return
        claimed = _claim_mail_slot(utcnow(), False, signature_id=signature.id)
        if claimed is not None:
            mail_queue.enqueue(claimed.id, MailKind.WITHDRAW_LINK)


class ConfirmOutcome(StrEnum):
    """What confirm_signature reports."""

    JUST_CONFIRMED = "just-confirmed"
    ALREADY_CONFIRMED = "already-confirmed"


def confirm_signature(token: str) -> ConfirmOutcome:
    """Confirm the signature a link names; opening it again is harmless.

    Raises link_tokens.TokenExpired / TokenInvalid for a link that cannot confirm.
    """
    with write_transaction(db.session):
        try:
            signature = link_tokens.signature_for(token, link_tokens.CONFIRM)
        except link_tokens.TokenExpired as expired:
            if expired.signature is not None and expired.signature.is_confirmed:
                return ConfirmOutcome.ALREADY_CONFIRMED
            raise
        confirming = (
            update(Signature)
            .where(Signature.id == signature.id, Signature.is_pending)
            .values(status=SignatureStatus.CONFIRMED, confirmed_at=utcnow(), mailbox_proven=True)
            .execution_options(synchronize_session=False)
        )
        changed = affected_rows(db.session.execute(confirming))
        if not changed:
            _confirm_while_invalidated(signature.id)
            return ConfirmOutcome.ALREADY_CONFIRMED
        if signature.is_test:  # confirmed, to try the link; never counted
            return ConfirmOutcome.JUST_CONFIRMED
        add_to_count(1)
        tallies.add(tallies.key_of(signature), confirmed=1, informed=int(signature.keep_informed))
    return ConfirmOutcome.JUST_CONFIRMED


def _confirm_while_invalidated(signature_id: int) -> None:
    """An organiser invalidated it while pending; the mailbox's owner has now proven it. The
    proof is kept, so revalidating it brings it back confirmed (and counted)."""
    db.session.execute(
        update(Signature)
        .where(
            Signature.id == signature_id,
            Signature.status == SignatureStatus.INVALIDATED,
            Signature.invalidated_from == SignatureStatus.PENDING.value,
        )
        .values(
            invalidated_from=SignatureStatus.CONFIRMED.value,
            confirmed_at=utcnow(),
            mailbox_proven=True,
        )
        .execution_options(synchronize_session=False)
    )


def name_to_thank(token: str) -> str | None:
    """The name a confirmation link's signer chose to show, for the page that thanks them."""
    with read_transaction(db.session):
        try:
            signature = link_tokens.signature_for(token, link_tokens.CONFIRM)
        except (link_tokens.TokenExpired, link_tokens.TokenInvalid):
            return None
        return shown_name(signature)


def withdraw_signature(token: str) -> None:
    """Erase a signature and everything about its signer; the count drops if it counted.

    Raises link_tokens.TokenInvalid when there is nothing (left) to erase, and
    erasure_ledger.LedgerUnavailable (nothing erased) when the ledger cannot be written.
    """
    with write_transaction(db.session):
        signature = link_tokens.signature_for(token, link_tokens.WITHDRAW)
        _erase(signature, erasure_ledger.BY_SUPPORTER)


def erase_signature(signature_id: int) -> bool:
    """Erase a signature for its owner who asked an admin; False if it was already gone.

    Raises erasure_ledger.LedgerUnavailable (nothing erased) when the ledger cannot be written.
    """
    with write_transaction(db.session):
        signature = db.session.get(Signature, signature_id)
        return signature is not None and _erase(signature, erasure_ledger.BY_ADMIN)


def reapply_erasure(entry: erasure_ledger.ErasureEntry) -> int:
    """Erase again, after a restore, what a ledger entry names; how many signatures went.

    Not written down again: the entry's own time is what keeps it from ever reaching a
    signature made after it.
    """
    with write_transaction(db.session):
        matched = select(Signature).where(
            erasure_ledger.matching(
                entry, Signature.id, Signature.mailbox_index, Signature.signed_at
            )
        )
        return sum(_erase(signature, None) for signature in db.session.scalars(matched).all())


def _erase(signature: Signature, by: str | None) -> bool:
    """Delete the row (its queued mail goes with it) and take it off the count if it counted;
    by (who asked) writes it down in the erasure ledger before the commit.

    The row is locked and read again first: an invalidation or revalidation that committed
    meanwhile decides what the count and the tally lose.
    """
    db.session.refresh(signature, with_for_update=True)
    test = signature.is_test  # never counted: neither the tally nor the count moves
    counted = signature.is_confirmed and not test
    # An invalidated signature already left the tally's signed (petition/invalidation.py).
    signed = signature.status != SignatureStatus.INVALIDATED
    key, informed = tallies.key_of(signature), counted and signature.keep_informed
    index, signed_at = signature.mailbox_index, signature.signed_at
    db.session.expunge(signature)
    deleted = affected_rows(
        db.session.execute(delete(Signature).where(Signature.id == signature.id))
    )
    if deleted and by is not None:  # on disk before the commit, or nothing is erased
        erasure_ledger.write_down(erasure_ledger.entry_for(signature.id, index, signed_at, by))
    if deleted and not test:
        tallies.add(key, signed=-int(signed), confirmed=-int(counted), informed=-int(informed))
    if deleted and counted:
        add_to_count(-1)
    return bool(deleted)


def unsubscribe(token: str) -> None:
    """Stop campaign updates to a signer, including those queued and not yet sent; the
    signature itself stays."""
    with write_transaction(db.session):
        signature = link_tokens.signature_for(token, link_tokens.UNSUBSCRIBE)
        db.session.refresh(signature, with_for_update=True)  # as it is now, held till commit
        stop_updates(signature)


def stop_updates(signature: Signature) -> None:
    """No more campaign updates to a signature (its row locked by the caller): its queued
    ones dropped and counted, the tally's informed lowered if it counted there."""
    updates.drop_queued_for(signature.id)  # before the tallies: updates.py's lock order
    if signature.keep_informed and signature.is_confirmed:
        tallies.add(tallies.key_of(signature), informed=-1)
    signature.keep_informed = False
