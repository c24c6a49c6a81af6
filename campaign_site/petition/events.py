"""Screenings and other events: each gets a source code of its own (`ev-` and a random slug),
so its signatures are counted together (signature tally) and its poster's QR code leads to
the campaign page carrying that code. Deleting an event only marks it: its counts stay, its
link stops working. While an event is on (the day before to the day after its date), its
code lifts the per-address signing ceiling, as a whole hall shares one Wi-Fi."""

import secrets
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from campaign_site.content import FILMS
from campaign_site.database import affected_rows, write_transaction
from campaign_site.extensions import db
from campaign_site.models import Event, SignatureTally, utcnow
from campaign_site.petition import short_cache

CODE_PREFIX = "ev-"
# No 0/o, 1/l/i: a code read off a poster or a screen is typed without doubt. 31^6 codes.
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 6
CODE_ATTEMPTS = 5  # a clash is one in hundreds of millions; five in a row is a fault
ACTIVE_DAYS = 1  # a code counts as an event's from the day before to the day after its date
TITLE_MAX, CITY_MAX, VENUE_MAX = 200, 100, 200  # the columns' lengths


@dataclass(frozen=True)
class EventSummary:
    """An event as the admin pages show it, with its signatures from the tally."""

    id: int
    code: str
    title: str
    city: str
    starts_on: date
    starts_at: time | None  # local time at the venue
    venue: str | None
    film: str
    language: str
    deleted: bool
    signed: int
    confirmed: int


def new_code() -> str:
    """ev- and six random letters or digits."""
    return CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@dataclass(frozen=True)
class NewEvent:
    """What the admin's form gives, validated."""

    title: str
    city: str
    starts_on: date
    film: str
    language: str
    starts_at: time | None = None
    venue: str | None = None


def create(new: NewEvent) -> EventSummary:
    """Store a new event under a fresh code; the unique constraint settles any clash."""
    if new.film not in FILMS:
        raise ValueError(f"unknown film {new.film!r}")
    fields = {name: getattr(new, name) for name in NewEvent.__dataclass_fields__}
    for _ in range(CODE_ATTEMPTS - 1):
        with suppress(IntegrityError):
            return _insert(Event(code=new_code(), **fields))
    # The last try lets a clash (or any other fault) be raised.
    return _insert(Event(code=new_code(), **fields))


def _insert(event: Event) -> EventSummary:
    with write_transaction(db.session):
        db.session.add(event)
        db.session.flush()
        created = _summary(event, 0, 0)
    short_cache.forget_all()  # this process treats the new code as an event's at once
    return created


def summaries() -> list[EventSummary]:
    """Every event (deleted ones too, their counts kept), latest date first, with its signed
    and confirmed signatures summed over the tally's hours and countries: one query."""
    rows = db.session.execute(
        select(
            Event,
            func.coalesce(func.sum(SignatureTally.signed), 0),
            func.coalesce(func.sum(SignatureTally.confirmed), 0),
        )
        .outerjoin(SignatureTally, SignatureTally.source == Event.code)
        .group_by(Event.id)
        .order_by(Event.starts_on.desc(), Event.id.desc())
    )
    return [_summary(event, signed, confirmed) for event, signed, confirmed in rows]


def find(event_id: int) -> EventSummary | None:
    """One event by id, deleted or not, with its counts."""
    event = db.session.get(Event, event_id)
    if event is None:
        return None
    signed, confirmed = db.session.execute(
        select(
            func.coalesce(func.sum(SignatureTally.signed), 0),
            func.coalesce(func.sum(SignatureTally.confirmed), 0),
        ).where(SignatureTally.source == event.code)
    ).one()
    return _summary(event, signed, confirmed)


def language_of_link(code: str) -> str | None:
    """The language of the page an event's link opens; None for a deleted or unknown code
    (one lookup on the code's unique index)."""
    return db.session.scalar(
        select(Event.language).where(Event.code == code, Event.deleted_at.is_(None))
    )


def delete(event_id: int) -> bool:
    """Mark an event deleted; its tally stays. False if there is no such event left."""
    with write_transaction(db.session):
        deleted = affected_rows(
            db.session.execute(
                update(Event)
                .where(Event.id == event_id, Event.deleted_at.is_(None))
                .values(deleted_at=utcnow())
            )
        )
    short_cache.forget_all()
    return deleted == 1


def active_codes(today: date | None = None) -> frozenset[str]:
    """The codes of the events not deleted whose date is within ACTIVE_DAYS of today (UTC)."""
    today = today or utcnow().date()
    window = timedelta(days=ACTIVE_DAYS)
    return frozenset(
        db.session.scalars(
            select(Event.code).where(
                Event.deleted_at.is_(None),
                Event.starts_on.between(today - window, today + window),
            )
        )
    )


def is_active_code(code: str | None) -> bool:
    """Whether a signature's source is the code of an event on now. The few such codes are
    kept per process for PUBLIC_CACHE_SECONDS, so signing pays for no query on most forms."""
    if not code:  # most signatures carry no source: no lookup at all
        return False
    return code in short_cache.cached("active_event_codes", active_codes)


def _summary(event: Event, signed: int, confirmed: int) -> EventSummary:
    return EventSummary(
        id=event.id,
        code=event.code,
        title=event.title,
        city=event.city,
        starts_on=event.starts_on,
        starts_at=event.starts_at,
        venue=event.venue,
        film=event.film,
        language=event.language,
        deleted=event.deleted_at is not None,
        signed=int(signed),
        confirmed=int(confirmed),
    )
