"""The signature tally: signatures per hour signed, source and country, kept in the same
transaction as each change, so the dashboard's charts, the per-source table and the public
per-country counts read a few thousand rows instead of scanning every signature."""

from datetime import datetime
from functools import cache
from typing import cast

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from campaign_site.extensions import db
from campaign_site.models import SignatureTally

TALLY = cast(Table, SignatureTally.__table__)


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def add(
    signed_at: datetime,
    source: str | None,
    country: str,
    *,
    signed: int = 0,
    confirmed: int = 0,
    repeats: int = 0,
) -> None:
    """Add to the counts of the hour a signature was signed in (negative to take off)."""
    dialect = db.session.get_bind().dialect.name
    db.session.execute(
        _upsert(dialect),
        {
            "hour": hour_of(signed_at),
            "source": source or "",
            "country": country,
            "signed": signed,
            "confirmed": confirmed,
            "repeats": repeats,
        },
    )


@cache
def _upsert(dialect: str) -> Insert:
    """INSERT ... ON CONFLICT DO UPDATE adding to the row: one statement, no read first,
    so two signers in the same hour never lose a count. Built once per dialect."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    names = ("hour", "source", "country", "signed", "confirmed", "repeats")
    statement = insert(TALLY).values({name: bindparam(name) for name in names})
    return statement.on_conflict_do_update(
        index_elements=[TALLY.c.hour, TALLY.c.source, TALLY.c.country],
        set_={
            column: TALLY.c[column] + statement.excluded[column]
            for column in ("signed", "confirmed", "repeats")
        },
    )
