"""How long personal data is kept: unconfirmed signatures expire, and after the campaign
closes every signer's data is erased, keeping only counts per day and country."""

from collections import Counter
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from campaign_site.database import affected_rows, write_transaction
from campaign_site.extensions import db
from campaign_site.models import DailyTally, Signature, SignatureStatus, utcnow
from campaign_site.petition import closing, tallies


def purge_pending(now: datetime | None = None) -> int:
    """Delete signatures never confirmed within the expiry of their latest link."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["CONFIRMATION_EXPIRY_DAYS"])
    is_expired = (
        Signature.is_pending,
        func.coalesce(Signature.last_emailed_at, Signature.signed_at) < cutoff,
    )
    with write_transaction(db.session):
        # Off the tally too, per hour, source and country (the charts show what is held).
        gone: Counter[tallies.Key] = Counter()
        rows = db.session.execute(
            select(Signature.signed_at, Signature.source, Signature.country, Signature.language)
            .where(*is_expired, Signature.is_test.is_(False))  # tests never entered the tally
            .execution_options(yield_per=5000)
        )
        for signed_at, source, country, language in rows:
            gone[tallies.Key(tallies.hour_of(signed_at), source, country, language)] += 1
        for key, n in gone.items():
            tallies.add(key, signed=-n)
        purged = affected_rows(db.session.execute(delete(Signature).where(*is_expired)))
        # Invalidated before anyone confirmed them: often an address someone else typed.
        # They left the tally when invalidated; their data goes when their link expired.
        never_confirmed = (
            Signature.status == SignatureStatus.INVALIDATED,
            Signature.invalidated_from == SignatureStatus.PENDING.value,
            func.coalesce(Signature.last_emailed_at, Signature.signed_at) < cutoff,
        )
        return purged + affected_rows(db.session.execute(delete(Signature).where(*never_confirmed)))


def erase_network_hashes(now: datetime | None = None) -> int:
    """Forget the network of signatures older than NETWORK_HASH_RETENTION_DAYS: long enough
    to find a burst and undo it, not kept for the life of the campaign."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["NETWORK_HASH_RETENTION_DAYS"])
    with write_transaction(db.session):
        return affected_rows(
            db.session.execute(
                update(Signature)
                .where(Signature.signed_at < cutoff, Signature.network_hash.is_not(None))
                .values(network_hash=None)
                .execution_options(synchronize_session=False)
            )
        )


class RetentionNotDue(Exception):
    """Personal data may be anonymised only once the retention period after closing is over."""


def anonymise_after_close(now: datetime | None = None) -> int:
    """Keep confirmed signatures as counts per day and country, erase every signer's data.

    Returns how many signatures were erased; the public count does not change.
    """
    now = now or utcnow()
    closes_at = closing.closes_at()
    if closes_at is None:
        raise RetentionNotDue("PETITION_CLOSES_AT is not set: the petition has not closed.")
    due = closes_at + timedelta(days=current_app.config["RETENTION_DAYS_AFTER_CLOSE"])
    if now < due:
        raise RetentionNotDue(f"Personal data is kept until {due.isoformat()}.")
    with write_transaction(db.session):
        per_day: Counter[tuple[date, str]] = Counter()
        # The signature tally keeps them as counts; no one is left to send updates to.
        informed: Counter[tallies.Key] = Counter()
        rows = db.session.execute(
            select(
                Signature.signed_at,
                Signature.source,
                Signature.country,
                Signature.language,
                Signature.keep_informed,
            )
            .where(Signature.is_confirmed, Signature.is_test.is_(False))  # tests never counted
            .execution_options(yield_per=5000)
        )
        for signed_at, source, country, language, keep_informed in rows:
            per_day[(signed_at.date(), country)] += 1
            if keep_informed:
                informed[tallies.Key(tallies.hour_of(signed_at), source, country, language)] += 1
        for (day, country), n in per_day.items():
            _add_to_tally(day, country, n)
        for key, n in informed.items():
            tallies.add(key, informed=-n)
        return affected_rows(db.session.execute(delete(Signature)))


def _add_to_tally(day: date, country: str, n: int) -> None:
    """Add n to a day's count for a country (the command may run more than once)."""
    tally = db.session.get(DailyTally, (day, country))
    if tally is None:
        db.session.add(DailyTally(day=day, country=country, signatures=n))
    else:
        tally.signatures += n
