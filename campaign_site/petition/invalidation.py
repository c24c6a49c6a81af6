"""Finding and undoing fraud after the fact: signatures matched by email domain, network,
source, review mark and time window; a dry run that counts them by status; invalidating
and revalidating them in batches; accepting marked signatures after review.

Invalidating takes a signature off the count (the count shards and the tally move in the
same transaction as its status, so they never drift), drops its queued mail and keeps the
status it had, to return to on revalidation. Each batch is its own short transaction, so
signing goes on while 100,000 signatures are invalidated.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import SQLColumnExpression, delete, func, literal, or_, select, update

from campaign_site.crypto import signal_hashes
from campaign_site.database import affected_rows, read_transaction, write_transaction
from campaign_site.extensions import db
from campaign_site.models import OutboxMessage, Signature, SignatureStatus, utcnow
from campaign_site.petition import tallies, updates
from campaign_site.petition.counting import add_to_count

BATCH_SIZE = 500
LIVE = (SignatureStatus.PENDING, SignatureStatus.CONFIRMED)
# The review queue: live signatures with a mark; staff test signatures never enter it.
IN_REVIEW = (
    Signature.review_marks != "",
    Signature.status.in_(LIVE),
    Signature.is_test.is_(False),
)


@dataclass(frozen=True)
class Criteria:
    """What to match; every part optional, all given parts must match."""

    domain: str | None = None  # an email domain, e.g. example.org
    network: str | None = None  # an address or CIDR, matched through the stored /24 or /48
    network_ref: str | None = None  # a stored network hash in hex, as trending shows it
    domain_ref: str | None = None  # a stored domain hash in hex (a domain trending leaves unnamed)
    source: str | None = None
    mark: str | None = None  # a review mark, e.g. busy_address
    since: datetime | None = None
    until: datetime | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, part.name) is None for part in fields(self))

    def describe(self) -> str:
        """For the audit log: the criteria, a domain or network only by the short reference
        of its hash (the log holds no address; the same input gives the same reference)."""
        given = []
        for part in fields(self):
            value = getattr(self, part.name)
            if value is None:
                continue
            if part.name == "domain":
                value = "#" + signal_hashes.reference(signal_hashes.domain_hashes(value)[0])
            elif part.name == "network":
                value = "#" + signal_hashes.reference(signal_hashes.network_hashes(value)[0])
            elif part.name.endswith("_ref"):
                value = "#" + value[8:20]
            elif isinstance(value, datetime):
                value = value.isoformat()
            given.append(f"{part.name}={value}")
        return " ".join(given) or "everything"


def conditions(criteria: Criteria) -> list[SQLColumnExpression[bool]]:
    """The WHERE clause of the criteria. Raises signal_hashes.BadNetwork for a bad network.
    Staff test signatures never match: they never counted (test_signatures.py)."""
    found: list[SQLColumnExpression[bool]] = [Signature.is_test.is_(False)]
    if criteria.domain:
        found.append(Signature.domain_hash.in_(signal_hashes.domain_hashes(criteria.domain)))
    if criteria.network:
        found.append(Signature.network_hash.in_(signal_hashes.network_hashes(criteria.network)))
    if criteria.network_ref:
        found.append(Signature.network_hash == bytes.fromhex(criteria.network_ref))
    if criteria.domain_ref:
        found.append(Signature.domain_hash == bytes.fromhex(criteria.domain_ref))
    if criteria.source:
        found.append(Signature.source == criteria.source)
    if criteria.mark:
        # Marks are a comma-separated list of known words; matched whole, never as a prefix.
        marks = literal(",") + Signature.review_marks + literal(",")
        found.append(marks.contains(f",{criteria.mark},", autoescape=True))
    if criteria.since:
        found.append(Signature.signed_at >= criteria.since)
    if criteria.until:
        found.append(Signature.signed_at < criteria.until)
    return found


def dry_run(criteria: Criteria, up_to_id: int) -> dict[str, int]:
    """How many signatures up to up_to_id (highest_id() first) match, per status (pending,
    confirmed, invalidated): exactly those invalidate() or revalidate() would then change."""
    with read_transaction(db.session):
        rows = db.session.execute(
            select(Signature.status, func.count())
            .where(*conditions(criteria), Signature.id <= up_to_id)
            .group_by(Signature.status)
        ).all()
    counts = {status.value: 0 for status in SignatureStatus}
    counts.update({str(status): count for status, count in rows})
    return counts


def highest_id() -> int:
    """The newest signature's id: a dry run's matches are those up to it."""
    with read_transaction(db.session):
        return db.session.scalar(select(func.coalesce(func.max(Signature.id), 0))) or 0


def invalidate(
    criteria: Criteria, up_to_id: int, batch_size: int = BATCH_SIZE, seconds: float | None = None
) -> int:
    """Invalidate the pending and confirmed signatures matching, up to a dry run's newest
    id (so signatures arriving meanwhile are not swept in unseen); returns how many.
    seconds: stop after the batch that passes it (a web request must end; running it
    again goes on where it stopped, as done rows no longer match)."""
    return _in_batches(criteria, LIVE, _invalidate_rows, up_to_id, batch_size, seconds)


def revalidate(
    criteria: Criteria, up_to_id: int, batch_size: int = BATCH_SIZE, seconds: float | None = None
) -> int:
    """Return the invalidated signatures matching to the status they had; returns how many."""
    targets = (SignatureStatus.INVALIDATED,)
    return _in_batches(criteria, targets, _revalidate_rows, up_to_id, batch_size, seconds)


ROW_COLUMNS = (
    Signature.id,
    Signature.status,
    Signature.invalidated_from,
    Signature.keep_informed,
    Signature.signed_at,
    Signature.source,
    Signature.country,
    Signature.language,
)


def _in_batches(
    criteria: Criteria,
    targets: tuple[SignatureStatus, ...],
    change: Callable[[Sequence[Any]], None],
    up_to_id: int,
    batch_size: int,
    seconds: float | None = None,
) -> int:
    where = (*conditions(criteria), Signature.status.in_(targets), Signature.id <= up_to_id)
    # The matching ids first (a few MB for a million), then each batch by primary key: a
    # keyset over the criteria had PostgreSQL read the whole match again for every batch.
    with read_transaction(db.session):
        ids = db.session.scalars(select(Signature.id).where(*where).order_by(Signature.id)).all()
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    total, began = 0, time.monotonic()
    for start in range(0, len(ids), batch_size):
        if seconds is not None and start and time.monotonic() - began > seconds:
            break  # at least one batch, so pressing again always gets further
        started = time.monotonic()
        with write_transaction(db.session):
            rows = db.session.execute(
                select(*ROW_COLUMNS)
                .where(Signature.id.in_(ids[start : start + batch_size]))
                .where(Signature.status.in_(targets))
                .order_by(Signature.id)
                .with_for_update()
            ).all()
            # The status is checked again under the lock (the criteria cannot change): a
            # row invalidated, revalidated or erased meanwhile is left alone. By primary
            # key only: with the criteria too, PostgreSQL read the domain's whole index.
            if rows:
                change(rows)
        total += len(rows)
        if sqlite:
            # One writer at a time, and SQLite's waiting writers poll: leave them as long
            # a window as the batch took, so signing goes on at about half speed, not none.
            time.sleep(time.monotonic() - started)
    return total


def _invalidate_rows(rows: Sequence[Any]) -> None:
    ids = [row.id for row in rows]
    db.session.execute(
        update(Signature)
        .where(Signature.id.in_(ids))
        .values(
            invalidated_from=Signature.status,
            status=SignatureStatus.INVALIDATED,
            invalidated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    updates.drop_queued_for_invalidated(ids)  # counted on their updates
    db.session.execute(  # their other mail; failed update messages stay counted as failed
        delete(OutboxMessage).where(
            OutboxMessage.signature_id.in_(ids),
            OutboxMessage.sent_at.is_(None),
            or_(OutboxMessage.update_id.is_(None), OutboxMessage.failed_at.is_(None)),
        )
    )
    _move_counts(rows, -1)


def _revalidate_rows(rows: Sequence[Any]) -> None:
    ids = [row.id for row in rows]
    db.session.execute(
        update(Signature)
        .where(Signature.id.in_(ids))
        .values(status=Signature.invalidated_from, invalidated_from=None, invalidated_at=None)
        .execution_options(synchronize_session=False)
    )
    _move_counts(rows, +1)


def _move_counts(rows: Sequence[Any], sign: int) -> None:
    """Signatures leaving (-1) or coming back (+1): the tally's signed for all of them (an
    invalidated signature is neither pending nor confirmed there), its confirmed and
    informed and the count shards for those that were, or are to be again, confirmed."""
    changes: dict[tallies.Key, dict[str, int]] = {}
    total = 0
    for row in rows:
        key = tallies.Key(row.signed_at, row.source, row.country, row.language)
        was_confirmed = SignatureStatus.CONFIRMED in (row.status, row.invalidated_from)
        counts = changes.setdefault(key, {"signed": 0, "confirmed": 0, "informed": 0})
        counts["signed"] += sign
        counts["confirmed"] += sign * was_confirmed
        counts["informed"] += sign * (was_confirmed and row.keep_informed)
        total += was_confirmed
    tallies.add_many(changes)
    if total:
        add_to_count(sign * total)


def accept(signature_ids: list[int]) -> int:
    """Reviewed and fine: their review marks are cleared (they counted all along)."""
    with write_transaction(db.session):
        result = db.session.execute(
            update(Signature)
            .where(Signature.id.in_(signature_ids), Signature.review_marks != "")
            .values(review_marks="")
            .execution_options(synchronize_session=False)
        )
        return affected_rows(result)


def invalidate_ids(signature_ids: list[int]) -> int:
    """Invalidate chosen signatures (from the review queue); returns how many changed."""
    with write_transaction(db.session):
        rows = db.session.execute(
            select(*ROW_COLUMNS)
            .where(
                Signature.id.in_(signature_ids),
                Signature.status.in_(LIVE),
                Signature.is_test.is_(False),
            )
            .with_for_update()
        ).all()
        if rows:
            _invalidate_rows(rows)
        return len(rows)
