"""The transactional outbox: emails are queued with the change that causes them, sent later.

The request only inserts a row; `flask mail-worker` claims due rows, renders and sends
them, and marks them sent, retrying with backoff when the mail server is away. Several
workers may run: a claim is a lease taken in one write transaction (FOR UPDATE SKIP
LOCKED on PostgreSQL, the database write lock on SQLite), so no message goes out twice
unless a worker dies between sending and marking it sent.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import insert, or_, select, update

from .database import write_transaction
from .extensions import db
from .mail import PermanentMailError, Transport, build_message
from .models import OutboxMessage, Signature, utcnow
from .personal_data import UnreadableData
from .text import without_addresses

CONFIRM_MAIL = "confirm"
ALREADY_SIGNED_MAIL = "already-signed"
KINDS = (CONFIRM_MAIL, ALREADY_SIGNED_MAIL)

# Built once; the Table's column defaults fill in the rest.
_ENQUEUE = insert(OutboxMessage.__table__)

LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)


def enqueue(signature_id: int, kind: str) -> None:
    """Queue an email, inside the caller's transaction."""
    if kind not in KINDS:
        raise ValueError(f"unknown mail kind {kind!r}")
    db.session.execute(_ENQUEUE, {"signature_id": signature_id, "kind": kind})


@dataclass
class DeliveryReport:
    """What one pass of the worker did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def deliver_due(transport: Transport, batch_size: int = 100) -> DeliveryReport:
    """Claim the messages that are due and try each once."""
    report = DeliveryReport()
    claimed = claim_due(batch_size)
    if not claimed:
        return report
    with transport:
        for message_id in claimed:
            _deliver(message_id, transport, report)
    return report


def claim_due(batch_size: int, now: datetime | None = None) -> list[int]:
    """Lease up to batch_size due messages to this worker; others will skip them."""
    now = now or utcnow()
    with write_transaction(db.session):
        ids = db.session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.failed_at.is_(None),
                OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.leased_until.is_(None), OutboxMessage.leased_until < now),
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        ).all()
        if ids:
            db.session.execute(
                update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(leased_until=now + LEASE)
            )
    return list(ids)


def _deliver(message_id: int, transport: Transport, report: DeliveryReport) -> None:
    """Render and send one claimed message, then record what happened."""
    message = db.session.get(OutboxMessage, message_id)
    signature = db.session.get(Signature, message.signature_id) if message else None
    if message is None or signature is None:
        db.session.rollback()  # erased meanwhile: the cascade took the message too
        return
    attempts = message.attempts + 1
    try:
        email = build_message(message.kind, signature)
    except UnreadableData as error:  # a key is missing: retry later, once it is back
        db.session.rollback()
        report.errors.append(_record_failure(message_id, attempts, str(error), permanent=False))
        report.retried += 1
        return
    db.session.rollback()  # hold no transaction open while talking to the mail server
    try:
        transport.send(email)
    except PermanentMailError as error:
        report.errors.append(_record_failure(message_id, attempts, str(error), permanent=True))
        report.failed += 1
    except OSError as error:  # smtplib's errors are OSErrors too
        permanent = attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]
        reason = f"{type(error).__name__}: {error}"
        report.errors.append(_record_failure(message_id, attempts, reason, permanent))
        report.failed += permanent
        report.retried += not permanent
    else:
        _update(message_id, attempts=attempts, sent_at=utcnow(), leased_until=None, last_error=None)
        report.sent += 1


def _record_failure(message_id: int, attempts: int, error: str, permanent: bool) -> str:
    """Give up on a message, or schedule its next try with exponential backoff.

    Mail servers name the recipient in their errors; the address is taken out before the
    error is stored or logged, since the database and the logs hold no address in the clear.
    Returns the error as recorded.
    """
    error = without_addresses(error)
    now = utcnow()
    if permanent:
        _update(message_id, attempts=attempts, failed_at=now, leased_until=None, last_error=error[:500])
        current_app.logger.error("mail %s given up after %s attempts: %s", message_id, attempts, error)
        return error
    delay = min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)
    _update(
        message_id, attempts=attempts, next_attempt_at=now + delay, leased_until=None, last_error=error[:500]
    )
    current_app.logger.warning("mail %s attempt %s failed, retry in %s: %s", message_id, attempts, delay, error)
    return error


def _update(message_id: int, **values) -> None:
    """Write the outcome of a delivery attempt."""
    with write_transaction(db.session):
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))


def pending_messages() -> int:
    """Messages not yet sent nor given up on (for the dashboard and tests)."""
    return db.session.scalar(
        select(db.func.count(OutboxMessage.id)).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)
        )
    )
