"""What is signing unusually much: the busiest networks, email domains and sources of the
last hour and day, against their own rate over the week before, flagged above
TRENDING_NETWORK_PER_HOUR / TRENDING_DOMAIN_PER_HOUR; a catch-all pattern (many different
mailboxes at one domain that is not a webmail service) is flagged as such.

A domain is named by opening one sample signature's sealed address, so nothing new is
stored in the clear; a network has no name (its address was never kept): it is shown by a
short reference that the invalidation form takes.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import ColumnElement, func, literal_column, select
from sqlalchemy.orm import InstrumentedAttribute

from campaign_site.crypto import signal_hashes
from campaign_site.crypto.sealed_box import UnreadableData, open_box
from campaign_site.extensions import db
from campaign_site.models import Signature, SignatureStatus, SignatureTally, utcnow

# Where a crowd of different mailboxes is normal: a burst there shows in networks and
# sources instead. The big international and the campaign's countries' own services.
WEBMAIL = frozenset(
    {
        "gmail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
        "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net",
        "web.de", "t-online.de", "posteo.de", "mail.ru", "yandex.ru", "ya.ru", "rambler.ru",
        "bk.ru", "inbox.ru", "list.ru", "ukr.net", "i.ua", "meta.ua",
    }
)  # fmt: skip
WINDOWS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
NORMAL_SPAN = timedelta(days=7)  # "normal" is the week before the window
LIMIT = 10
# A domain is named only when this many signed from it in the window (or it is webmail):
# a small private domain with one or two signers could name the people behind them.
NAME_MIN = 5


@dataclass(frozen=True)
class Busy:
    """One network, domain or source among the busiest of a window."""

    kind: str  # "network", "domain" or "source"
    label: str  # a domain's name, a source code, a network's short reference
    reference: str  # what the invalidation form takes for it
    param: str  # the form field it goes in: domain, domain_ref, network_ref or source
    count: int
    per_hour: float
    normal_per_hour: float  # its own rate in the week before the window
    flagged: bool
    catch_all: bool = False
    webmail: bool = False


def network_reference(network_hash: bytes) -> str:
    """A network's name on the dashboard: its stored hash in hex (it says nothing itself)."""
    return network_hash.hex()


def trending(
    window: str, now: datetime | None = None, over_only: bool = False
) -> dict[str, list[Busy]]:
    """Kind -> the busiest of that kind in the window ("hour" or "day"), busiest first.

    over_only keeps only those above their threshold, and reads the week before for them
    alone: the dashboard shows only flags, and usually there are none to look back for.
    """
    now = now or utcnow()
    since = now - WINDOWS[window]
    hours = WINDOWS[window] / timedelta(hours=1)
    return {
        "network": _networks(since, hours, over_only),
        "domain": _domains(since, hours, over_only),
        "source": _sources(since, hours, over_only),
    }


def _busiest(column: InstrumentedAttribute[Any], since: datetime) -> list[tuple[Any, int, int]]:
    """(value, count, a sample signature's id) for the busiest values since a moment."""
    return [
        (value, count, sample)
        for value, count, sample in db.session.execute(
            select(column, func.count(), func.min(Signature.id))
            .where(_likely(Signature.signed_at >= since, 0.001))
            .where(column.is_not(None), _not_invalidated())
            .group_by(column)
            .order_by(func.count().desc())
            .limit(LIMIT)
        ).all()
    ]


def _normal(
    column: InstrumentedAttribute[Any], values: list[Any], since: datetime
) -> dict[Any, float]:
    """Per hour in the week before the window, for each value."""
    if not values:
        return {}
    rows = db.session.execute(
        select(column, func.count())
        .where(
            Signature.signed_at >= since - NORMAL_SPAN,
            Signature.signed_at < since,
            _likely(column.in_(values), 0.9),
            _not_invalidated(),
        )
        .group_by(column)
    ).all()
    span_hours = NORMAL_SPAN / timedelta(hours=1)
    return {value: count / span_hours for value, count in rows}


def _normal_source(sources: list[str], since: datetime) -> dict[str, float]:
    """_normal for sources, from the tally (whole hours: the week's edges may be off by part
    of an hour), which reads a few thousand rows where the signatures would be 100,000."""
    if not sources:
        return {}
    rows = db.session.execute(
        select(SignatureTally.source, func.sum(SignatureTally.signed))
        .where(
            SignatureTally.hour >= since - NORMAL_SPAN,
            SignatureTally.hour < since,
            SignatureTally.source.in_(sources),
        )
        .group_by(SignatureTally.source)
    ).all()
    span_hours = NORMAL_SPAN / timedelta(hours=1)
    return {source: int(signed or 0) / span_hours for source, signed in rows}


def _likely(condition: ColumnElement[bool], probability: float) -> ColumnElement[bool]:
    """The condition, with how often it holds told to SQLite's planner. Without statistics
    for a bound value it takes a range on signed_at to keep a quarter of the table, and
    walked the whole domain_hash index instead (2 s for the last hour at 1,000,000
    signatures; 1 ms along signed_at). PostgreSQL's planner has the statistics."""
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite takes only a constant there, not a bound parameter.
        return func.likelihood(condition, literal_column(f"{probability:.6f}"))
    return condition


def _not_invalidated() -> ColumnElement[bool]:
    """What was already dealt with no longer trends."""
    return Signature.status != SignatureStatus.INVALIDATED


def _networks(since: datetime, hours: float, over_only: bool) -> list[Busy]:
    limit = current_app.config["TRENDING_NETWORK_PER_HOUR"]
    rows = _busiest(Signature.network_hash, since)
    if over_only:
        rows = [row for row in rows if row[1] / hours > limit]
    normal = _normal(Signature.network_hash, [row[0] for row in rows], since)
    return [
        Busy(
            kind="network",
            label=f"network {network_reference(value)[8:20]}",
            reference=network_reference(value),
            param="network_ref",
            count=count,
            per_hour=count / hours,
            normal_per_hour=normal.get(value, 0.0),
            flagged=count / hours > limit,
        )
        for value, count, _sample in rows
    ]


def _domains(since: datetime, hours: float, over_only: bool) -> list[Busy]:
    limit = current_app.config["TRENDING_DOMAIN_PER_HOUR"]
    named_rows = [
        (value, count, _domain_named_by(sample))
        for value, count, sample in _busiest(Signature.domain_hash, since)
    ]
    if over_only:  # what would be flagged: busy, and not a webmail service
        named_rows = [row for row in named_rows if row[1] / hours > limit and row[2] not in WEBMAIL]
    normal = _normal(Signature.domain_hash, [row[0] for row in named_rows], since)
    found = []
    for value, count, name in named_rows:
        webmail = name in WEBMAIL
        over = count / hours > limit
        named = webmail or count >= NAME_MIN
        found.append(
            Busy(
                kind="domain",
                label=name if named else f"domain #{signal_hashes.reference(value)}",
                reference=name if named else value.hex(),
                param="domain" if named else "domain_ref",
                count=count,
                per_hour=count / hours,
                normal_per_hour=normal.get(value, 0.0),
                flagged=over and not webmail,
                # Each signature is a different mailbox (one per mailbox): many at one
                # private domain in a short while is what a catch-all domain makes possible.
                catch_all=over and not webmail,
                webmail=webmail,
            )
        )
    return found


def _domain_named_by(signature_id: int) -> str:
    """The domain of one signature's sealed address (opened here, kept nowhere)."""
    identity = db.session.scalar(select(Signature.identity).where(Signature.id == signature_id))
    try:
        return signal_hashes.domain_of(open_box(identity).email) if identity else "(unknown)"
    except UnreadableData:
        return "(key missing)"


def _sources(since: datetime, hours: float, over_only: bool) -> list[Busy]:
    limit = current_app.config["TRENDING_NETWORK_PER_HOUR"]
    rows = _busiest(Signature.source, since)
    if over_only:
        rows = [row for row in rows if row[1] / hours > limit]
    normal = _normal_source(cast(list[str], [row[0] for row in rows]), since)
    return [
        Busy(
            kind="source",
            label=value,
            reference=value,
            param="source",
            count=count,
            per_hour=count / hours,
            normal_per_hour=normal.get(value, 0.0),
            # A source is a link organisers hand out: a busy one is usually good news, so it
            # is flagged only when it outruns its own week by far, never for being busy.
            flagged=count / hours > max(limit, 10 * normal.get(value, 0.0)),
        )
        for value, count, _sample in rows
    ]
