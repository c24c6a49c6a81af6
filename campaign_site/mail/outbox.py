"""The transactional outbox: emails are queued with the change that causes them, sent later.

The request only inserts a row (petition/mail_queue.py, or petition/updates.py for a
campaign update); `flask mail-worker` claims due rows, renders and sends them, and marks
each sent, retrying with backoff when the mail server is away. Several workers may run: a
claim is a lease taken in one write transaction (FOR UPDATE SKIP LOCKED on PostgreSQL, the
database write lock on SQLite), so no message goes out twice unless a worker dies between
sending it and marking it sent (at most the one it was sending).

Transactional mail (confirmation links ...) is claimed first, always; an update's messages
fill the rest of a batch as far as MAIL_RATE_PER_MINUTE allows (mail/pacing.py), so a large
update never delays a new signer's link.
"""

import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from typing import cast

from flask import current_app
from sqlalchemy import Table, bindparam, delete, exists, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from campaign_site.crypto.sealed_box import UnreadableData, open_box
from campaign_site.database import read_transaction, write_transaction
from campaign_site.extensions import db
from campaign_site.mail import (
    mx_lookup,
    organisation_mail,
    pacing,
    return_path,
    update_mailing,
    update_messages,
)
from campaign_site.mail.messages import build_message, wire_address
from campaign_site.mail.transports import PermanentMailError, Transport
from campaign_site.models import (
    CampaignUpdate,
    OutboxMessage,
    Signature,
    SignatureStatus,
    UpdateStatus,
    utcnow,
)
from campaign_site.petition import mail_feedback, mail_risk, reminders, updates
from campaign_site.petition.mail_queue import MailKind
from campaign_site.text import without_addresses

LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)


@dataclass
class DeliveryReport:
    """What one pass of the worker did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    withheld: int = 0  # update messages dropped: unsubscribed or invalidated meanwhile
    errors: list[str] = field(default_factory=list)
    paced_for: float = 0.0  # update mail waits this long for MAIL_RATE_PER_MINUTE

    @property
    def busy(self) -> bool:
        return bool(self.sent or self.retried or self.failed or self.withheld)


def deliver_due(transport: Transport, batch_size: int = 100) -> DeliveryReport:
    """Claim the messages that are due and try each once."""
    report = DeliveryReport()
    reminders.queue_due(limit=batch_size)  # due reminders to confirm join this pass's mail
    transactional, paced = claim(batch_size)
    if transactional or paced:
        with transport:
            for message_id in transactional:
                _deliver(message_id, transport, report)
            if paced:
                _deliver_updates(paced, transport, report)
        updates.finish_sent()
    elif _updates_waiting(utcnow()):
        with read_transaction(db.session):
            report.paced_for = pacing.seconds_until_next(utcnow())
    return report


def claim(batch_size: int, now: datetime | None = None) -> tuple[list[int], list[int]]:
    """Lease up to batch_size due messages to this worker; others will skip them.

    Transactional messages first; update messages in the room left, as the pace allows.
    The claim counts as an attempt, so even a message that kills its worker outright
    (out of memory, a segfault) runs out of attempts instead of coming back forever.
    """
    now = now or utcnow()
    paced: list[int] = []
    with write_transaction(db.session):
        _give_up_abandoned(now)
        ids = _due_ids(OutboxMessage.update_id.is_(None), batch_size, now)
        room = batch_size - len(ids)
        if room > 0 and _updates_waiting(now):
            allowance = pacing.take(room, now)
            paced = (
                _due_ids(OutboxMessage.update_id.is_not(None), allowance, now) if allowance else []
            )
            pacing.give_back(allowance - len(paced))
        if ids or paced:
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids + paced))
                .values(leased_until=now + LEASE, attempts=OutboxMessage.attempts + 1)
            )
            _give_return_tokens(ids + paced)
    return ids, paced


_GIVE_TOKEN = (
    update(cast(Table, OutboxMessage.__table__))
    .where(
        OutboxMessage.__table__.c.id == bindparam("message_id"),
        OutboxMessage.__table__.c.return_token.is_(None),
    )
    .values(return_token=bindparam("token"))
)


def _give_return_tokens(message_ids: list[int]) -> None:
    """A random VERP token for each claimed message that has none yet (a retry keeps its
    own), inside the claim's transaction (mail/return_path.py)."""
    if current_app.config["MAIL_BOUNCE_ADDRESS"]:
        db.session.execute(
            _GIVE_TOKEN,
            [{"message_id": id_, "token": return_path.new_token()} for id_ in message_ids],
        )


def _due(now: datetime) -> tuple:
    return (
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.leased_until.is_(None), OutboxMessage.leased_until < now),
    )


def _give_up_abandoned(now: datetime) -> None:
    """Still leased: claimed, then never recorded, so its worker died while sending it."""
    db.session.execute(
        update(OutboxMessage)
        .where(
            *_due(now),
            OutboxMessage.leased_until.is_not(None),
            OutboxMessage.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"],
        )
        .values(failed_at=now, last_error="given up: a worker stopped while sending it")
    )


def _due_ids(which, limit: int, now: datetime) -> list[int]:
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(which, *_due(now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
    )


def _updates_waiting(now: datetime) -> bool:
    waiting = exists().where(OutboxMessage.update_id.is_not(None), *_due(now))
    return bool(db.session.scalar(select(waiting)))


def _deliver(message_id: int, transport: Transport, report: DeliveryReport) -> None:
    """Render and send one claimed message, then record what happened.

    Whatever goes wrong with one message is recorded against it, and the worker goes on.
    """
    try:
        built = _build(message_id)
        if built is None:
            _withhold(message_id, report)
            return
        email, sender = built
        transport.send(email, return_path=sender)
    except Exception as error:  # noqa: BLE001 - no single message may stop the worker
        _record(message_id, error, report)
    else:
        _update(message_id, sent_at=utcnow(), leased_until=None, last_error=None)
        report.sent += 1


# Update messages recorded sent together: a worker killed mid-batch sends at most this
# many twice (each COMMIT costs as much as writing the message, benchmarks/RESULTS.md).
RECORD_EVERY = 10


def _deliver_updates(message_ids: list[int], transport: Transport, report: DeliveryReport) -> None:
    """A batch of update messages: read at once, rendered once per update and language,
    written as bytes per supporter (mail/update_mailing.py)."""
    recipients, texts = update_mailing.read_batch(message_ids)
    recipients = update_mailing.with_mail_servers_checked(recipients)
    prepared: dict[tuple[int, str], update_mailing.Prepared] = {}
    sender = parseaddr(current_app.config["MAIL_SENDER"])[1]
    smtputf8 = current_app.config["MAIL_SMTPUTF8"]
    unrecorded: list[int] = []
    for recipient in recipients:
        if not recipient.wanted:
            _record_sent(unrecorded, report)  # a database error in _withhold loses none
            _withhold(recipient.message_id, report)
            continue
        try:
            to = wire_address(recipient.email, smtputf8)
            verp = return_path.for_token(recipient.return_token, recipient.discreet)
            if recipient.discreet:  # a note linking to the update on the site, never its text
                note = update_messages.discreet_note(recipient, recipient.update_id, to)
                transport.send(note, return_path=verp)
            elif to.isascii():
                key = (recipient.update_id, recipient.language)
                if key not in prepared:
                    prepared[key] = update_mailing.prepare(
                        texts[recipient.update_id], recipient.language, recipient.links
                    )
                data = update_mailing.wire_bytes(prepared[key], to, recipient.links)
                transport.send_raw(verp or sender, to, data)
            else:
                transport.send(
                    update_mailing.fallback_message(texts[recipient.update_id], recipient),
                    return_path=verp,
                )
        except Exception as error:  # noqa: BLE001 - no single message may stop the worker
            _record_sent(unrecorded, report)
            _record(recipient.message_id, error, report)
        else:
            unrecorded.append(recipient.message_id)
            if len(unrecorded) >= RECORD_EVERY:
                _record_sent(unrecorded, report)
    _record_sent(unrecorded, report)


def _record_sent(message_ids: list[int], report: DeliveryReport) -> None:
    """Mark messages sent, in one write; empties the list."""
    if not message_ids:
        return
    with write_transaction(db.session):
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(message_ids))
            .values(sent_at=utcnow(), leased_until=None, last_error=None)
        )
    report.sent += len(message_ids)
    message_ids.clear()


def _build(message_id: int) -> tuple[EmailMessage, str | None] | None:
    """The email for a claimed transactional message (updates go through
    _deliver_updates), or None if it is no longer wanted: the signature was erased (the
    cascade took the message too) or invalidated. Discreet if the signature is, or if its
    address's mail servers turn out to be a listed provider's (asked of DNS between two
    reads, so no transaction waits on it)."""
    with read_transaction(db.session):
        message = db.session.get(OutboxMessage, message_id)
        if message is not None and message.organisation_id is not None:
            return organisation_mail.build(message), return_path.for_token(message.return_token)
        found = _wanted(message_id)
        if found is None:
            return None
        signature = found[1]
        signature_id, discreet = signature.id, signature.discreet_mail
        domain = "" if discreet else mail_risk.email_domain(open_box(signature.identity).email)
    if not discreet and mx_lookup.risky_mail_servers(domain):
        with write_transaction(db.session):
            mail_risk.mark_discreet(signature_id)
    with read_transaction(db.session):  # none held open while talking to the mail server
        found = _wanted(message_id)
        if found is None:
            return None
        message, signature = found
        discreet = signature.discreet_mail
        email = build_message(MailKind(message.kind), signature, discreet)
        return email, return_path.for_token(message.return_token, discreet)


def _wanted(message_id: int) -> tuple[OutboxMessage, Signature] | None:
    """A message and its signature, unless erased or invalidated (fraud: no more mail of any
    kind), its mailbox bounced or complained (mail_feedback.may_mail), or a reminder no
    longer needed (confirmed meanwhile, its link expired)."""
    message = db.session.get(OutboxMessage, message_id)
    signature = db.session.get(Signature, message.signature_id) if message else None
    if message is None or signature is None or signature.status == SignatureStatus.INVALIDATED:
        return None
    if not mail_feedback.may_mail(signature, message.kind):
        return None
    if message.kind == MailKind.REMIND and not reminders.still_wanted(signature):
        return None
    return message, signature


def _withhold(message_id: int, report: DeliveryReport) -> None:
    """Drop a message its supporter no longer wants. An update message is counted on its
    update: as invalidated if its signature was invalidated as fraud, else as an unsubscribe
    (a cancelled update counted its dropped messages when it was cancelled). Transactional
    mail is dropped without being counted anywhere."""
    with write_transaction(db.session):
        of_update = db.session.scalar(
            select(OutboxMessage.update_id).where(OutboxMessage.id == message_id)
        )
        if of_update is not None:
            updates.lock_updates([of_update])
        status = db.session.scalar(  # read under the lock: a revalidation may just have ended
            select(Signature.status)
            .join(OutboxMessage, OutboxMessage.signature_id == Signature.id)
            .where(OutboxMessage.id == message_id)
        )
        update_id = db.session.scalar(
            delete(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
            .returning(OutboxMessage.update_id)
        )
        if update_id is not None:
            counter = (
                CampaignUpdate.invalidated_count
                if status == SignatureStatus.INVALIDATED
                else CampaignUpdate.unsubscribed_count
            )
            db.session.execute(
                update(CampaignUpdate)
                .where(
                    CampaignUpdate.id == update_id, CampaignUpdate.status == UpdateStatus.SENDING
                )
                .values({counter: counter + 1})
            )
            report.withheld += 1


def _record(message_id: int, error: Exception, report: DeliveryReport) -> None:
    """Record a failed attempt: given up, or retried later, by the kind of failure.

    A database error is not the message's fault: it goes up to the worker's loop, which
    waits for the database; the lease brings the message back afterwards.
    """
    if isinstance(error, SQLAlchemyError):
        db.session.rollback()
        raise error
    with read_transaction(db.session):
        attempts = db.session.scalar(
            select(OutboxMessage.attempts).where(OutboxMessage.id == message_id)
        )
    if attempts is None:
        return
    config = current_app.config
    if isinstance(error, PermanentMailError):
        permanent, reason = True, str(error)
    elif isinstance(error, UnreadableData):  # a key is missing: retry until it is back
        permanent, reason = False, str(error)
    elif isinstance(error, OSError):  # the mail server or network (smtplib's errors too)
        permanent, reason = attempts >= config["MAIL_MAX_ATTEMPTS"], _describe(error)
    else:  # the message cannot be built or encoded: a bug or bad data, not the weather
        permanent = attempts >= config["MAIL_MAX_BUILD_ATTEMPTS"]
        reason = f"could not build the message: {_describe(error)} at {_where(error)}"
    report.errors.append(_record_failure(message_id, attempts, reason, permanent))
    report.failed += permanent
    report.retried += not permanent


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def _where(error: Exception) -> str:
    """The file and line that raised, for the operator (no values, so no personal data)."""
    frames = traceback.extract_tb(error.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "unknown"


def _record_failure(message_id: int, attempts: int, error: str, permanent: bool) -> str:
    """Give up on a message, or schedule its next try with exponential backoff.

    Mail servers name the recipient in their errors; the address is taken out before the
    error is stored or logged, since the database and the logs hold no address in the clear.
    Returns the error as recorded.
    """
    error = without_addresses(error)
    now = utcnow()
    if permanent:
        _update(message_id, failed_at=now, leased_until=None, last_error=error[:500])
        current_app.logger.error(
            "mail %s given up after %s attempts: %s", message_id, attempts, error
        )
        return error
    delay = min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)
    _update(message_id, next_attempt_at=now + delay, leased_until=None, last_error=error[:500])
    current_app.logger.warning(
        "mail %s attempt %s failed, retry in %s: %s", message_id, attempts, delay, error
    )
    return error


def _update(message_id: int, **values) -> None:
    """Write the outcome of a delivery attempt."""
    with write_transaction(db.session):
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
        )


def given_up_messages(limit: int = 10) -> tuple[int, list[OutboxMessage]]:
    """How many messages were given up on, and the latest few (for the dashboard)."""
    failed = OutboxMessage.failed_at.is_not(None)
    count = db.session.scalar(select(db.func.count(OutboxMessage.id)).where(failed))
    latest = db.session.scalars(
        select(OutboxMessage).where(failed).order_by(OutboxMessage.failed_at.desc()).limit(limit)
    ).all()
    return count, list(latest)


def pending_messages() -> int:
    """Messages not yet sent nor given up on (for the dashboard and tests)."""
    return db.session.scalar(
        select(db.func.count(OutboxMessage.id)).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)
        )
    )


def late_messages(minutes: int) -> int:
    """Confirmations and other single emails still unsent `minutes` after they were written:
    a backlog (campaign updates are paced on purpose and left out)."""
    before = utcnow() - timedelta(minutes=minutes)
    return db.session.scalar(
        select(db.func.count(OutboxMessage.id)).where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.update_id.is_(None),
            OutboxMessage.created_at < before,
        )
    )
