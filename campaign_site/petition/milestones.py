"""The milestones of the content file against the count: the next one (shown beside the
count) and those reached, each with the day the count first stood at it.

That day is recorded the first time a page sees the count at or past the milestone
(MilestoneReached), so it never moves afterwards: not when signatures are withdrawn or
invalidated, not when the milestone is edited in the content file. A milestone once
reached stays reached.
"""

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from campaign_site.content import Milestone
from campaign_site.database import read_transaction, write_transaction
from campaign_site.extensions import db
from campaign_site.models import MilestoneReached, utcnow
from campaign_site.petition import short_cache

CACHE_KEY = "milestones-reached"


@dataclass(frozen=True)
class Progress:
    """Where the count stands among the milestones."""

    next: Milestone | None
    reached: tuple[tuple[Milestone, date], ...]  # the latest first


def progress(milestones: tuple[Milestone, ...], count: int) -> Progress:
    """The next milestone and those reached (recording the day of any newly reached)."""
    recorded = _recorded()
    newly = [
        m.signatures for m in milestones if m.signatures <= count and m.signatures not in recorded
    ]
    if newly:
        recorded = {**recorded, **_record(newly)}
    reached = [(m, recorded[m.signatures]) for m in milestones if m.signatures in recorded]
    upcoming = [m for m in milestones if m.signatures not in recorded]
    return Progress(upcoming[0] if upcoming else None, tuple(reversed(reached)))


def _recorded() -> dict[int, date]:
    found: dict[int, date] = short_cache.cached(CACHE_KEY, _read_recorded)
    return found


def _read_recorded() -> dict[int, date]:
    with read_transaction(db.session):
        rows = db.session.execute(select(MilestoneReached.signatures, MilestoneReached.reached_on))
        return {signatures: day for signatures, day in rows}


def _record(newly: list[int]) -> dict[int, date]:
    """Write down today for milestones just reached. Another worker may write the same at
    the same moment: its day is then the one kept (read back). A database refusing writes
    (MAINTENANCE_MODE) shows today's date without keeping it; the next page tries again."""
    today = utcnow().date()
    try:
        with write_transaction(db.session):
            for signatures in newly:
                if db.session.get(MilestoneReached, signatures) is None:
                    db.session.add(MilestoneReached(signatures=signatures, reached_on=today))
    except SQLAlchemyError:
        current_app.logger.warning("milestones: could not record %s reached", newly)
        return dict.fromkeys(newly, today)
    short_cache.forget_all()
    return {signatures: day for signatures, day in _read_recorded().items() if signatures in newly}
