"""The signature tally: signatures per hour signed, source, country and language, kept in
the same transaction as each change (signed, confirmed, unsubscribed, withdrawn, purged), so
the dashboard and the public per-country counts read the tally (about 75,000 rows for a
million signatures over two months) instead of scanning every signature."""

from datetime import datetime
from functools import cache
from typing import NamedTuple, cast

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from campaign_site.extensions import db
from campaign_site.models import Signature, SignatureTally

TALLY = cast(Table, SignatureTally.__table__)
COUNTS = ("signed", "confirmed", "informed", "repeats")


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


class Key(NamedTuple):
    """Which row of the tally a signature counts in."""

    signed_at: datetime
    source: str | None
    country: str
    language: str


def key_of(signature: Signature) -> Key:
    return Key(signature.signed_at, signature.source, signature.country, signature.language)


def add(
    key: Key,
    *,
    signed: int = 0,
    confirmed: int = 0,
    informed: int = 0,
    repeats: int = 0,
) -> None:
    """Add to the counts of the hour a signature was signed in (negative to take off).
    informed: confirmed signatures that want campaign updates."""
    dialect = db.session.get_bind().dialect.name
    db.session.execute(
        _upsert(dialect),
        {
            "hour": hour_of(key.signed_at),
            "source": key.source or "",
            "country": key.country,
            "language": key.language,
            "signed": signed,
            "confirmed": confirmed,
            "informed": informed,
            "repeats": repeats,
        },
    )


def add_many(changes: dict[Key, dict[str, int]]) -> None:
    """add() for many hours and places in one round trip (an executemany), in key order so
    two transactions doing this never wait on each other in a circle."""
    if not changes:
        return
    dialect = db.session.get_bind().dialect.name
    rows: dict[tuple[datetime, str, str, str], dict[str, int]] = {}
    for key, counts in changes.items():
        row = (hour_of(key.signed_at), key.source or "", key.country, key.language)
        merged = rows.setdefault(row, dict.fromkeys(COUNTS, 0))
        for name, value in counts.items():
            merged[name] += value
    db.session.execute(
        _upsert(dialect),
        [
            {"hour": hour, "source": source, "country": country, "language": language, **counts}
            for (hour, source, country, language), counts in sorted(rows.items())
        ],
    )


@cache
def _upsert(dialect: str) -> Insert:
    """INSERT ... ON CONFLICT DO UPDATE adding to the row: one statement, no read first,
    so two signers in the same hour never lose a count. Built once per dialect."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    names = (*COUNTS, "hour", "source", "country", "language")
    statement = insert(TALLY).values({name: bindparam(name) for name in names})
    return statement.on_conflict_do_update(
        index_elements=[TALLY.c.hour, TALLY.c.source, TALLY.c.country, TALLY.c.language],
        set_={column: TALLY.c[column] + statement.excluded[column] for column in COUNTS},
    )
