"""The petition's rules: one signature per mailbox, confirmation, withdrawal, counting.

Every write here runs in one transaction that commits or rolls back as a whole, and
every rule that could race (one row per mailbox, one count per confirmation) is decided
by the database in a single statement, never by a check before a write.
"""

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache

from flask import current_app
from sqlalchemy import Row, bindparam, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from campaign_site.crypto import key_maintenance
from campaign_site.crypto.keyrings import Keyring, data_keyring
from campaign_site.crypto.sealed_box import Person, UnreadableData, blind_indexes, open_fields, seal
from campaign_site.database import write_transaction
from campaign_site.extensions import db
from campaign_site.mail import outbox
from campaign_site.models import (
    CONFIRMED,
    PENDING,
    DailyTally,
    Signature,
    SignatureCountShard,
    SiteSetting,
    new_token_nonce,
    utcnow,
)
from campaign_site.petition import link_tokens as tokens
from campaign_site.petition import short_cache
from campaign_site.text import public_name
from campaign_site.web.countries import country_name

SIGNATURES = Signature.__table__

# Signers add to a random shard, so concurrent writers rarely touch the same row.
COUNT_SHARDS = 16
RECENT_SIGNERS_SHOWN = 10

# Review marks: a signature is stored and counted, and organisers can look at it again.
TOO_FAST = "too_fast"  # sent back faster than SIGNING_MIN_SECONDS (or phone autofill)
NO_FORM_STAMP = "no_form_stamp"  # without the signed "form served at" stamp
BUSY_ADDRESS = "busy_address"  # one of many from the same address (SIGN_REVIEW_THRESHOLD)

# What confirm_signature reports.
JUST_CONFIRMED = "confirmed"
ALREADY_CONFIRMED = "already-confirmed"


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
    language: str = "en"
    review_marks: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecentSigner:
    """What the public page may show of a signer who agreed to be listed."""

    given_name: str
    country_code: str  # shown by name in the page's language


def confirmation_required() -> bool:
    """Whether signatures wait for their address to be confirmed (the default)."""
    return current_app.config["CONFIRMATION_REQUIRED"]


def signing_open(now: datetime | None = None) -> bool:
    """False once the campaign's closing time has passed."""
    closes_at = current_app.config["CAMPAIGN_CLOSES_AT"]
    return closes_at is None or (now or utcnow()) < closes_at


PAUSED_SETTING = "signing_paused"


def signing_paused() -> bool:
    """True while signing is paused, by SIGNING_PAUSED or by an admin on the dashboard.

    The dashboard switch is read through the short cache: it takes effect on every
    worker within PUBLIC_CACHE_SECONDS, and signing costs one query less.
    """
    if current_app.config["SIGNING_PAUSED"]:
        return True
    return short_cache.cached("signing-paused", _paused_by_admin_or_keys)


def _paused_by_admin_or_keys() -> bool:
    setting = db.session.get(SiteSetting, PAUSED_SETTING)
    paused = setting is not None and setting.value == "1"
    # A blind index key that did not make the stored rows would let every supporter sign twice.
    paused = paused or key_maintenance.blind_key_problem() is not None
    db.session.rollback()  # only a read: end it before the signing transaction starts
    return paused


def set_signing_paused(paused: bool) -> None:
    """The dashboard's pause switch; the page keeps serving either way."""
    with write_transaction(db.session):
        setting = db.session.get(SiteSetting, PAUSED_SETTING)
        if setting is None:
            db.session.add(SiteSetting(key=PAUSED_SETTING, value="1" if paused else "0"))
        else:
            setting.value = "1" if paused else "0"
    short_cache.forget_all()  # this process's next page (the admin's own) shows the new state


def record_signature(new: NewSignature) -> None:
    """Store a signature unless its mailbox has signed, and queue the email it calls for.

    The caller learns nothing about which happened: a repeat must look like a first, in
    its answer and, as far as the database allows, in its timing: a first writes the new
    row, a repeat writes the existing one (see _claim_mail_slot), and both flush to disk.
    """
    now = utcnow()
    indexes = blind_indexes(new.email)
    with write_transaction(db.session):
        signature_id = _insert_signature(new, now, indexes)
        if signature_id is None:
            _remind_repeat_signer(indexes, now)
        elif confirmation_required():
            outbox.enqueue(signature_id, outbox.CONFIRM_MAIL)
        else:
            _add_to_count(1)


def _insert_signature(new: NewSignature, now: datetime, indexes: list[bytes]) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING: the new row's id, or None if the mailbox signed.

    The unique blind index decides under the current key. While an old blind index key is
    still being rotated out, rows made with it are looked for first (the writer lock on
    SQLite, and the unique index on PostgreSQL, keep that free of races).
    """
    if len(indexes) > 1 and _signed_under(indexes[1:]):
        return None
    confirmed = not confirmation_required()
    row = {
        "personal": seal(Person(new.given_name, new.family_name, new.email, new.postcode_city)),
        "email_hash": indexes[0],
        "country": new.country,
        "language": new.language,
        "keep_informed": new.keep_informed,
        "show_name": new.show_name,
        "signed_at": now,
        "status": CONFIRMED if confirmed else PENDING,
        "confirmed_at": now if confirmed else None,
        "token_nonce": new_token_nonce(),
        "last_emailed_at": None if confirmed else now,
        "review_marks": ",".join(sorted(set(new.review_marks))),
    }
    dialect = db.session.get_bind().dialect.name
    return db.session.execute(_insert_statement(dialect), row).scalar_one_or_none()


def _signed_under(indexes: list[bytes]) -> bool:
    found = select(Signature.id).where(Signature.email_hash.in_(indexes)).limit(1)
    return db.session.scalar(found) is not None


@cache
def _insert_statement(dialect: str):
    """Built once per dialect (building it per signature showed in the profile).

    The Table, not the mapped class, so it runs as plain Core without the ORM's bulk path.
    """
    module = postgresql if dialect == "postgresql" else sqlite
    table = Signature.__table__
    return (
        module.insert(table)
        .on_conflict_do_nothing(index_elements=[table.c.email_hash])
        .returning(table.c.id)
    )


def find_by_email(email: str) -> Signature | None:
    """The signature of an address's mailbox, found through its blind index (admin search)."""
    return db.session.scalar(select(Signature).where(Signature.email_hash.in_(blind_indexes(email))))


def _remind_repeat_signer(indexes: list[bytes], now: datetime) -> None:
    """Mail the mailbox's owner (their link again, or 'already signed'), at most once an interval."""
    claimed = _claim_mail_slot(now, email_hashes=indexes)
    if claimed is not None and confirmation_required():
        kind = outbox.CONFIRM_MAIL if claimed.status == PENDING else outbox.ALREADY_SIGNED_MAIL
        outbox.enqueue(claimed.id, kind)


def _claim_mail_slot(now: datetime, **which) -> Row | None:
    """Mark a signature as mailed now, unless it was mailed within RESEND_INTERVAL_MINUTES.

    `which` is email_hashes=[...] or signature_id=...; returns the row's (id, status) when claimed,
    else None. One statement, so two requests at once cannot both send. It writes the row
    either way (keeping the old time when the slot is taken): a repeat then costs a write
    and its flush to disk, as a first does.
    """
    [(selector, value)] = which.items()
    cutoff = now - timedelta(minutes=current_app.config["RESEND_INTERVAL_MINUTES"])
    row = db.session.execute(_claim_statement(selector), {selector: value, "now": now, "cutoff": cutoff}).first()
    return row if row is not None and row.claimed else None


@cache
def _claim_statement(selector: str):
    """Built once per selector, in plain Core on the Table as the insert is: building it per
    call and the ORM's bulk-update path cost a repeat ~1 ms more than a first on PostgreSQL."""
    table = SIGNATURES
    when = table.c.last_emailed_at
    now, cutoff = bindparam("now", type_=when.type), bindparam("cutoff", type_=when.type)
    if selector == "email_hashes":
        where = table.c.email_hash.in_(bindparam("email_hashes", expanding=True))
    else:
        where = table.c.id == bindparam("signature_id")
    free = or_(when.is_(None), when < cutoff)
    return (
        update(table)
        .where(where)
        .values(last_emailed_at=case((free, now), else_=when))
        .returning(table.c.id, table.c.status, (when == now).label("claimed"))
    )


def send_fresh_withdraw_link(token: str) -> None:
    """Mail a new withdraw link for an expired one, if its signature is still held.

    The caller learns nothing of whether it was: the page is the same either way.
    """
    with write_transaction(db.session):
        try:
            signature = tokens.signature_for(token, tokens.WITHDRAW)
        except tokens.TokenExpired as expired:
            signature = expired.signature
        except tokens.TokenInvalid:
            return
        if signature is None:
            return
        claimed = _claim_mail_slot(utcnow(), signature_id=signature.id)
        if claimed is not None:
            outbox.enqueue(claimed.id, outbox.WITHDRAW_LINK_MAIL)


def confirm_signature(token: str) -> str:
    """Confirm the signature a link names; opening it again is harmless.

    Returns JUST_CONFIRMED or ALREADY_CONFIRMED; raises tokens.TokenExpired/TokenInvalid.
    """
    with write_transaction(db.session):
        try:
            signature = tokens.signature_for(token, tokens.CONFIRM)
        except tokens.TokenExpired as expired:
            if expired.signature is not None and expired.signature.status == CONFIRMED:
                return ALREADY_CONFIRMED
            raise
        changed = db.session.execute(
            update(Signature)
            .where(Signature.id == signature.id, Signature.status == PENDING)
            .values(status=CONFIRMED, confirmed_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        if not changed:
            return ALREADY_CONFIRMED
        _add_to_count(1)
    return JUST_CONFIRMED


def withdraw_signature(token: str) -> None:
    """Erase a signature and everything about its signer; the count drops if it counted.

    Raises tokens.TokenInvalid when there is nothing (left) to erase.
    """
    with write_transaction(db.session):
        signature = tokens.signature_for(token, tokens.WITHDRAW)
        _erase(signature)


def erase_signature(signature_id: int) -> bool:
    """Erase a signature for its owner who asked an admin; False if it was already gone."""
    with write_transaction(db.session):
        signature = db.session.get(Signature, signature_id)
        return signature is not None and _erase(signature)


def _erase(signature: Signature) -> bool:
    """Delete the row (its queued mail goes with it) and take it off the count if it counted."""
    counted = signature.status == CONFIRMED
    db.session.expunge(signature)
    deleted = db.session.execute(delete(Signature).where(Signature.id == signature.id)).rowcount
    if deleted and counted:
        _add_to_count(-1)
    return bool(deleted)


def unsubscribe(token: str) -> None:
    """Stop campaign updates to a signer; the signature itself stays."""
    with write_transaction(db.session):
        signature = tokens.signature_for(token, tokens.UNSUBSCRIBE)
        signature.keep_informed = False


def purge_pending(now: datetime | None = None) -> int:
    """Delete signatures never confirmed within the expiry of their latest link."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["CONFIRMATION_EXPIRY_DAYS"])
    with write_transaction(db.session):
        return db.session.execute(
            delete(Signature).where(
                Signature.status == PENDING,
                func.coalesce(Signature.last_emailed_at, Signature.signed_at) < cutoff,
            )
        ).rowcount


class RetentionNotDue(Exception):
    """Personal data may be anonymised only once the retention period after closing is over."""


def anonymise_after_close(now: datetime | None = None) -> int:
    """Keep confirmed signatures as counts per day and country, erase every signer's data.

    Returns how many signatures were erased; the public count does not change.
    """
    now = now or utcnow()
    closes_at = current_app.config["CAMPAIGN_CLOSES_AT"]
    if closes_at is None:
        raise RetentionNotDue("CAMPAIGN_CLOSES_AT is not set: the campaign has not closed.")
    due = closes_at + timedelta(days=current_app.config["RETENTION_DAYS_AFTER_CLOSE"])
    if now < due:
        raise RetentionNotDue(f"Personal data is kept until {due.isoformat()}.")
    with write_transaction(db.session):
        tallies = Counter()
        rows = db.session.execute(
            select(Signature.signed_at, Signature.country)
            .where(Signature.status == CONFIRMED)
            .execution_options(yield_per=5000)
        )
        for signed_at, country in rows:
            tallies[(signed_at.date(), country)] += 1
        for (day, country), n in tallies.items():
            _add_to_tally(day, country, n)
        return db.session.execute(delete(Signature)).rowcount


def _add_to_tally(day, country: str, n: int) -> None:
    """Add n to a day's count for a country (the command may run more than once)."""
    tally = db.session.get(DailyTally, (day, country))
    if tally is None:
        db.session.add(DailyTally(day=day, country=country, signatures=n))
    else:
        tally.signatures += n


def _add_to_count(delta: int) -> None:
    """Move the count by delta on one randomly chosen shard."""
    shard = random.randrange(COUNT_SHARDS)
    db.session.execute(
        update(SignatureCountShard)
        .where(SignatureCountShard.shard == shard)
        .values(count=SignatureCountShard.count + delta)
    )


def signature_count() -> int:
    """Confirmed signatures: a sum over the shards, never a scan of signatures."""
    total = db.session.scalar(select(func.coalesce(func.sum(SignatureCountShard.count), 0)))
    return int(total)


def recent_signers(limit: int = RECENT_SIGNERS_SHOWN) -> list[RecentSigner]:
    """The latest confirmed signers who agreed to be listed: given name and country only.

    Only these few rows are decrypted, each once per process (the cache is keyed by the
    ciphertext, so a re-encrypted or erased row is never served from it).
    """
    rows = db.session.execute(
        select(Signature.personal, Signature.country)
        .where(Signature.status == CONFIRMED, Signature.show_name.is_(True))
        .order_by(Signature.id.desc())
        .limit(limit)
    )
    signers = []
    for box, code in rows:
        try:
            given_name = _given_name_in(box, data_keyring())
        except UnreadableData as error:  # the page stays up; the operator is told
            current_app.logger.error("recent signers: %s", error)
            continue
        shown = public_name(given_name)  # None: nothing name-like, or a signature from
        if shown:  # before given names were asked for
            signers.append(RecentSigner(shown, code))
    return signers


@lru_cache(maxsize=64)
def _given_name_in(box: bytes, keyring: Keyring) -> str:
    return Person.from_fields(open_fields(box, keyring)).given_name


def totals() -> dict[str, int]:
    """Counts for the admin dashboard, over the signatures still held."""
    counted = func.count(Signature.id)
    row = db.session.execute(
        select(
            counted,
            counted.filter(Signature.status == CONFIRMED),
            counted.filter(Signature.status == PENDING),
            counted.filter(Signature.status == CONFIRMED, Signature.keep_informed.is_(True)),
        )
    ).one()
    anonymised = db.session.scalar(select(func.coalesce(func.sum(DailyTally.signatures), 0)))
    return {
        "all": row[0],
        "confirmed": row[1],
        "pending": row[2],
        "keep_informed": row[3],
        "anonymised": int(anonymised),
    }


def totals_by_language() -> list[tuple[str, int]]:
    """(language code, confirmed signatures) pairs, most first: where the campaign is heard."""
    rows = db.session.execute(
        select(Signature.language, func.count(Signature.id))
        .where(Signature.status == CONFIRMED)
        .group_by(Signature.language)
    )
    return sorted(((language, int(n)) for language, n in rows), key=lambda item: (-item[1], item[0]))


def totals_by_country() -> list[tuple[str, int]]:
    """(country name, confirmed signatures) pairs, most first, anonymised ones included."""
    by_code = Counter()
    live = db.session.execute(
        select(Signature.country, func.count(Signature.id))
        .where(Signature.status == CONFIRMED)
        .group_by(Signature.country)
    )
    kept = db.session.execute(
        select(DailyTally.country, func.sum(DailyTally.signatures)).group_by(DailyTally.country)
    )
    for code, n in [*live, *kept]:
        by_code[code] += int(n)
    ranked = sorted(by_code.items(), key=lambda item: (-item[1], country_name(item[0])))
    return [(country_name(code), n) for code, n in ranked]
