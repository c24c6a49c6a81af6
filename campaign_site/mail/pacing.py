"""MAIL_RATE_PER_MINUTE for campaign updates, shared by every worker on every machine: a
token bucket in one database row, taken from inside the worker's claim transaction.

Only update mail is paced; confirmation links and other transactional mail never wait for
it (mail/outbox.py claims those first). The bucket holds at most BURST_SECONDS' worth, so
an idle hour does not turn into one huge burst.
"""

from datetime import datetime

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from campaign_site.extensions import db
from campaign_site.models import MailPace

BURST_SECONDS = 5
ROW = 1


def per_second() -> float:
    return max(current_app.config["MAIL_RATE_PER_MINUTE"], 0) / 60


def take(wanted: int, now: datetime) -> int:
    """Up to wanted messages' allowance, inside the caller's write transaction (the row is
    locked until it commits, so two workers never spend the same tokens)."""
    rate = per_second()
    capacity = max(1.0, rate * BURST_SECONDS)
    row = _locked_row(now, capacity)
    elapsed = max((now - row.refilled_at).total_seconds(), 0.0)
    tokens = min(capacity, row.tokens + elapsed * rate)
    granted = min(wanted, int(tokens))
    db.session.execute(
        update(MailPace)
        .where(MailPace.id == ROW)
        .values(tokens=tokens - granted, refilled_at=max(now, row.refilled_at))
    )
    return granted


def give_back(unused: int) -> None:
    """Return allowance taken but not used (fewer messages were due than granted)."""
    if unused > 0:
        db.session.execute(
            update(MailPace).where(MailPace.id == ROW).values(tokens=MailPace.tokens + unused)
        )


def seconds_until_next(now: datetime) -> float:
    """How long until one more update message may go (for the worker's sleep)."""
    rate = per_second()
    if rate <= 0:
        return float("inf")
    row = db.session.get(MailPace, ROW)
    if row is None:
        return 0.0
    elapsed = max((now - row.refilled_at).total_seconds(), 0.0)
    missing = 1.0 - (row.tokens + elapsed * rate)
    return max(missing / rate, 0.0)


def _locked_row(now: datetime, capacity: float) -> MailPace:
    locked = select(MailPace).where(MailPace.id == ROW).with_for_update()
    row = db.session.scalar(locked)
    if row is None:  # first use: a full bucket; two workers starting at once insert one
        insert = (
            postgresql.insert
            if db.session.get_bind().dialect.name == "postgresql"
            else sqlite.insert
        )
        db.session.execute(
            insert(MailPace)
            .values(id=ROW, tokens=capacity, refilled_at=now)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        row = db.session.scalar(locked)
    return row
