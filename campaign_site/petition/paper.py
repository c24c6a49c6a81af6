"""Signatures collected on paper at events, entered as counts per event and country.

They are never mixed into the online count (which stays exactly the confirmed online
signatures): they appear as a line of their own on the dashboard, in the delivery pack and,
with SHOW_PAPER_SIGNATURES, on the public page. Entries are never changed or deleted; a
correction is a new entry (a negative count), so the list is its own audit trail.
"""

from dataclasses import dataclass

from sqlalchemy import func, select

from campaign_site.database import write_transaction
from campaign_site.extensions import db
from campaign_site.models import Event, PaperCount

MAX_ENTRY = 100_000  # more than any hall: a typo, not a count


class PaperCountRefused(ValueError):
    """Why an entry was not stored (the admin form shows it)."""


@dataclass(frozen=True)
class EventPaper:
    event: Event | None  # None: collected outside any event
    country: str
    signatures: int


def record(event_id: int | None, country: str, signatures: int, note: str, admin: str) -> None:
    """Store an entry; a correction may be negative but may not take a total below zero."""
    if signatures == 0 or abs(signatures) > MAX_ENTRY:
        raise PaperCountRefused(f"Enter a count between 1 and {MAX_ENTRY:,} (negative to correct).")
    with write_transaction(db.session):
        if event_id is not None and db.session.get(Event, event_id) is None:
            raise PaperCountRefused("That event does not exist.")
        held = db.session.scalar(
            select(func.coalesce(func.sum(PaperCount.signatures), 0)).where(
                PaperCount.event_id.is_(None)
                if event_id is None
                else PaperCount.event_id == event_id,
                PaperCount.country == country,
            )
        )
        if int(held or 0) + signatures < 0:
            raise PaperCountRefused(
                f"A correction of {signatures} would leave a negative count (now {held})."
            )
        db.session.add(
            PaperCount(
                event_id=event_id,
                country=country,
                signatures=signatures,
                note=note,
                entered_by=admin,
            )
        )


def total() -> int:
    return int(db.session.scalar(select(func.coalesce(func.sum(PaperCount.signatures), 0))) or 0)


def by_event_and_country() -> list[EventPaper]:
    """Totals per event and country, events by date; zero totals (corrected away) left out."""
    rows = db.session.execute(
        select(PaperCount.event_id, PaperCount.country, func.sum(PaperCount.signatures)).group_by(
            PaperCount.event_id, PaperCount.country
        )
    ).all()
    events = {event.id: event for event in db.session.scalars(select(Event))}
    totals = [
        EventPaper(events.get(event_id) if event_id else None, country, int(n))
        for event_id, country, n in rows
        if n
    ]
    return sorted(
        totals, key=lambda t: (t.event.starts_on.isoformat() if t.event else "", t.country)
    )


def entries(limit: int = 200) -> list[tuple[PaperCount, Event | None]]:
    """The latest entries, newest first: who entered what, when, and why."""
    rows = db.session.execute(
        select(PaperCount, Event)
        .outerjoin(Event, Event.id == PaperCount.event_id)
        .order_by(PaperCount.id.desc())
        .limit(limit)
    )
    return [(paper, event) for paper, event in rows]
