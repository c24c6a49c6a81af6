"""Campaign updates to the supporters who asked for news: drafts, who receives one, sending
it, cancelling it, its progress, and what unsubscribing does to a queued one.

Sending is one set-based INSERT ... SELECT into the outbox in the transaction that marks
the update sent, so it cannot be doubled and no recipient list is kept: the recipients
are derived from the signatures at that moment, and each message waits as an outbox row
naming a signature. mail/outbox.py delivers them, paced by MAIL_RATE_PER_MINUTE; erasing
a signature deletes its rows (the foreign key cascades), unsubscribing or invalidating it
as fraud drops its queued ones.

Lock order, on PostgreSQL, for every transaction that takes more than one of these:
signature -> campaign_update -> outbox_message -> tallies and count shards. Two
transactions taking them in other orders can deadlock, and PostgreSQL then aborts one.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Insert,
    SQLColumnExpression,
    Table,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute

from campaign_site.database import affected_rows, read_transaction, write_transaction
from campaign_site.extensions import db
from campaign_site.languages import DEFAULT_LANGUAGE
from campaign_site.models import (
    CampaignUpdate,
    CampaignUpdateText,
    MailStatus,
    OutboxMessage,
    Signature,
    UpdateStatus,
    UTCDateTime,
    utcnow,
)
from campaign_site.petition.mail_queue import MailKind

SUBJECT_MAX = 200  # CampaignUpdateText.subject
BODY_MAX = 20_000  # about three pages: an update, not a newsletter archive
FALLBACK = DEFAULT_LANGUAGE  # the text every update has; shown where a language has none of its own


class UpdateRefused(Exception):
    """An update cannot do what was asked (send again, resume after cancelling ...); the
    message says why, for the organiser."""


@dataclass(frozen=True)
class Text:
    """An update's subject and body in one language."""

    subject: str
    body: str


@dataclass(frozen=True)
class Audience:
    """Who receives an update beyond the rule (confirmed, asked for news, mailbox proven);
    None in a field: no narrowing by it."""

    language: str | None = None
    country: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Progress:
    """How far an update has gone; the figures add up to its recipients."""

    recipients: int
    queued: int
    sent: int
    failed: int
    unsubscribed: int
    cancelled: int
    invalidated: int  # their signature was invalidated as fraud after it was queued
    withdrew: int  # erased their signature after it was queued (their rows went with it)


def audience_of(campaign_update: CampaignUpdate) -> Audience:
    return Audience(campaign_update.language, campaign_update.country, campaign_update.source)


def wants_updates(signature: Signature) -> bool:
    """Whether a signature may receive an update now (checked again just before sending)."""
    return bool(
        signature.is_confirmed
        and signature.keep_informed
        and signature.mailbox_proven
        and signature.mail_status == MailStatus.OK.value  # neither bounced nor complained
    )


def _recipients(audience: Audience, as_of: datetime) -> list[SQLColumnExpression[bool]]:
    """The signatures an update goes to: confirmed by opening the link (so the mailbox is
    theirs), asked for news and did not unsubscribe, confirmed by as_of (what the organiser
    saw counted: the number can only fall between the count and the send)."""
    conditions: list[SQLColumnExpression[bool]] = [
        Signature.is_confirmed,
        Signature.keep_informed.is_(True),
        Signature.mailbox_proven.is_(True),
        Signature.confirmed_at <= as_of,
        Signature.mail_status == MailStatus.OK.value,
    ]
    if audience.language:
        conditions.append(Signature.language == audience.language)
    if audience.country:
        conditions.append(Signature.country == audience.country)
    if audience.source:
        conditions.append(Signature.source == audience.source)
    return conditions


def recipient_counts(audience: Audience, as_of: datetime) -> dict[str, int]:
    """Recipients per language they signed in, as of a moment."""
    rows = db.session.execute(
        select(Signature.language, func.count())
        .where(*_recipients(audience, as_of))
        .group_by(Signature.language)
    ).all()
    return {language: count for language, count in rows}


def create_draft(written_by: str, texts: dict[str, Text], audience: Audience) -> int:
    """Store a new draft; returns its id."""
    with write_transaction(db.session):
        draft = CampaignUpdate(written_by=written_by, status=UpdateStatus.DRAFT.value)
        _set_audience(draft, audience)
        db.session.add(draft)
        db.session.flush()
        _set_texts(draft.id, texts)
        return draft.id


def edit_draft(update_id: int, texts: dict[str, Text], audience: Audience) -> None:
    """Replace a draft's texts and audience; an update already sent cannot change."""
    with write_transaction(db.session):
        draft = db.session.get(CampaignUpdate, update_id, with_for_update=True)
        if draft is None:
            raise UpdateRefused("There is no such update.")
        if draft.status != UpdateStatus.DRAFT:
            raise UpdateRefused(_not_a_draft(draft))
        _set_audience(draft, audience)
        db.session.execute(
            delete(CampaignUpdateText).where(CampaignUpdateText.update_id == update_id)
        )
        _set_texts(update_id, texts)


def copy_of(update_id: int, written_by: str) -> int:
    """A new draft with an update's texts and audience (to send again what was cancelled)."""
    with read_transaction(db.session):
        original = db.session.get(CampaignUpdate, update_id)
        if original is None:
            raise UpdateRefused("There is no such update.")
        audience, texts = audience_of(original), texts_of(update_id)
    return create_draft(written_by, texts, audience)


def _set_audience(draft: CampaignUpdate, audience: Audience) -> None:
    draft.language, draft.country, draft.source = (
        audience.language,
        audience.country,
        audience.source,
    )


def _set_texts(update_id: int, texts: dict[str, Text]) -> None:
    if FALLBACK not in texts:
        raise UpdateRefused("Every update needs its English text: other languages fall back to it.")
    for language, text in texts.items():
        db.session.add(
            CampaignUpdateText(
                update_id=update_id, language=language, subject=text.subject, body=text.body
            )
        )


def texts_of(update_id: int) -> dict[str, Text]:
    """Language -> subject and body, as written."""
    rows = db.session.scalars(
        select(CampaignUpdateText).where(CampaignUpdateText.update_id == update_id)
    ).all()
    return {row.language: Text(row.subject, row.body) for row in rows}


def text_for(update_id: int, language: str) -> tuple[str, Text] | None:
    """The text a recipient who signed in language reads, and the language it is in."""
    for candidate in dict.fromkeys((language, FALLBACK)):
        row = db.session.get(CampaignUpdateText, (update_id, candidate))
        if row is not None:
            return candidate, Text(row.subject, row.body)
    return None


# Updates whose text a public page shows: sent, or being sent (a note may already link to it).
PUBLISHED = (UpdateStatus.SENDING, UpdateStatus.SENT)


def published_text(update_id: int, language: str) -> tuple[str, Text] | None:
    """A sent update's text as a page shows it (/news/<id>, linked from discreet notes):
    None unless it is being sent or was sent; drafts and cancelled ones are nobody's news."""
    campaign_update = db.session.get(CampaignUpdate, update_id)
    if campaign_update is None or campaign_update.status not in PUBLISHED:
        return None
    return text_for(update_id, language)


def send(update_id: int, sent_by: str, as_of: datetime, expected: int) -> int:
    """Queue a draft for its recipients as of the count the organiser confirmed; returns how
    many messages were queued.

    Marking it sending and queueing its messages are one transaction: a second click or a
    second tab finds it no longer a draft and queues nothing. More recipients than the
    organiser confirmed cannot happen (as_of fixes them); fewer can, when some unsubscribed,
    withdrew or were invalidated since the count.
    """
    now = utcnow()
    as_of = min(as_of, now)
    with write_transaction(db.session):
        claimed = affected_rows(
            db.session.execute(
                update(CampaignUpdate)
                .where(CampaignUpdate.id == update_id, CampaignUpdate.status == UpdateStatus.DRAFT)
                .values(status=UpdateStatus.SENDING.value, sent_by=sent_by, queued_at=now)
            )
        )
        if not claimed:
            raise UpdateRefused(_not_a_draft(db.session.get(CampaignUpdate, update_id)))
        draft = db.session.get_one(CampaignUpdate, update_id)
        queued = affected_rows(db.session.execute(_queue_statement(draft, as_of, now)))
        if queued == 0:
            raise UpdateRefused("Nobody would receive this update: nothing was sent.")
        if queued > expected:
            raise UpdateRefused(
                f"{queued} supporters would receive it, not the {expected} you confirmed: "
                "nothing was sent. Look at the count again and confirm it."
            )
        draft.recipients = queued
    return queued


def _queue_statement(draft: CampaignUpdate, as_of: datetime, now: datetime) -> Insert:
    """INSERT INTO outbox_message ... SELECT FROM signature: one statement for every recipient."""
    columns = ["signature_id", "kind", "update_id", "created_at", "next_attempt_at", "attempts"]
    rows = select(
        Signature.id,
        literal(MailKind.UPDATE.value),
        literal(draft.id),
        literal(now, UTCDateTime),
        literal(now, UTCDateTime),
        literal(0),
    ).where(*_recipients(audience_of(draft), as_of))
    # preserve_rowcount: without it psycopg's driver reports -1 for an INSERT ... SELECT.
    return (
        insert(cast(Table, OutboxMessage.__table__))
        .from_select(columns, rows)
        .execution_options(preserve_rowcount=True)
    )


def cancel(update_id: int, cancelled_by: str) -> int:
    """Stop an update that is being sent; returns how many queued messages were dropped.

    Messages already handed to the mail server are gone; the rest are deleted. A cancelled
    update stays cancelled: sending its remainder later would reach people in a different
    world than the one it was written for, so a copy must be sent as a new update.
    """
    with write_transaction(db.session):
        stopped = affected_rows(
            db.session.execute(
                update(CampaignUpdate)
                .where(
                    CampaignUpdate.id == update_id, CampaignUpdate.status == UpdateStatus.SENDING
                )
                .values(
                    status=UpdateStatus.CANCELLED.value,
                    cancelled_by=cancelled_by,
                    cancelled_at=utcnow(),
                )
            )
        )
        if not stopped:
            raise UpdateRefused(_not_sending(db.session.get(CampaignUpdate, update_id)))
        dropped, sent, failed = _live_counts(update_id)
        _close(update_id, sent, failed, cancelled_count=dropped)
    return dropped


def _close(update_id: int, sent: int, failed: int, **values: object) -> None:
    """Freeze an update's figures and forget its recipients: its outbox rows, sent or not,
    are the list of who got it, which the site does not keep."""
    db.session.execute(
        update(CampaignUpdate)
        .where(CampaignUpdate.id == update_id)
        .values(sent_count=sent, failed_count=failed, **values)
    )
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.update_id == update_id))


def _unsent(update_id: int) -> tuple[ColumnElement[bool], ...]:
    return (
        OutboxMessage.update_id == update_id,
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
    )


def drop_queued_for(signature_id: int) -> None:
    """A supporter unsubscribed: their update messages not yet sent are dropped and counted
    on each update (inside the caller's transaction)."""
    _drop_queued([signature_id], CampaignUpdate.unsubscribed_count)


def drop_queued_for_invalidated(signature_ids: Sequence[int]) -> None:
    """Signatures invalidated as fraud: their update messages not yet sent are dropped and
    counted on each update as such, not as withdrawals (inside the caller's transaction)."""
    _drop_queued(signature_ids, CampaignUpdate.invalidated_count)


def lock_updates(update_ids: Sequence[int]) -> None:
    """Lock updates (in id order) before touching any of their outbox rows: cancel and
    finishing lock their update first too, by updating it. The module docstring gives the
    whole lock order."""
    db.session.execute(
        select(CampaignUpdate.id)
        .where(CampaignUpdate.id.in_(update_ids))
        .order_by(CampaignUpdate.id)
        .with_for_update()
    )


def _drop_queued(signature_ids: Sequence[int], counter: InstrumentedAttribute[int]) -> None:
    """Delete the signatures' update messages still queued, adding how many to counter on
    each update. Messages that failed stay: they are counted as failed."""
    mine = (
        OutboxMessage.signature_id.in_(signature_ids),
        OutboxMessage.update_id.is_not(None),
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
    )
    update_ids = db.session.scalars(select(OutboxMessage.update_id).where(*mine).distinct()).all()
    if not update_ids:
        return
    lock_updates([update_id for update_id in update_ids if update_id is not None])
    per_update = db.session.execute(  # counted after the lock: a cancel may have dropped them
        select(OutboxMessage.update_id, func.count()).where(*mine).group_by(OutboxMessage.update_id)
    ).all()
    db.session.execute(delete(OutboxMessage).where(*mine))
    for update_id, dropped in per_update:
        db.session.execute(
            update(CampaignUpdate)
            .where(CampaignUpdate.id == update_id)
            .values({counter: counter + dropped})
        )


def progress(campaign_update: CampaignUpdate) -> Progress | None:
    """The figures of an update that was sent (None for a draft)."""
    if campaign_update.recipients is None:
        return None
    if campaign_update.sent_count is not None:
        queued, sent, failed = 0, campaign_update.sent_count, campaign_update.failed_count or 0
    else:
        queued, sent, failed = _live_counts(campaign_update.id)
    unsubscribed, cancelled = campaign_update.unsubscribed_count, campaign_update.cancelled_count
    invalidated = campaign_update.invalidated_count
    accounted = queued + sent + failed + unsubscribed + invalidated + cancelled
    if accounted > campaign_update.recipients:  # something was counted twice: say so
        current_app.logger.error(
            "update %s: figures add up to %s, over its %s recipients",
            campaign_update.id,
            accounted,
            campaign_update.recipients,
        )
    return Progress(
        recipients=campaign_update.recipients,
        queued=queued,
        sent=sent,
        failed=failed,
        unsubscribed=unsubscribed,
        cancelled=cancelled,
        invalidated=invalidated,
        withdrew=max(0, campaign_update.recipients - accounted),
    )


def _live_counts(update_id: int) -> tuple[int, int, int]:
    """(queued, sent, failed) from the outbox rows of an update."""
    row = db.session.execute(
        select(
            func.count().filter(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)),
            func.count().filter(OutboxMessage.sent_at.is_not(None)),
            func.count().filter(OutboxMessage.failed_at.is_not(None)),
        ).where(OutboxMessage.update_id == update_id)
    ).one()
    return row[0], row[1], row[2]


def recent(limit: int = 20) -> list[tuple[CampaignUpdate, Progress | None]]:
    """The latest updates, newest first, with their figures (inside a read)."""
    latest = db.session.scalars(
        select(CampaignUpdate).order_by(CampaignUpdate.id.desc()).limit(limit)
    ).all()
    return [(item, progress(item)) for item in latest]


def finish_sent() -> None:
    """Mark the updates with nothing left to send as sent: their figures are frozen (a
    supporter who withdraws later does not change what the record says) and their outbox
    rows deleted (they would be the recipient list)."""
    with read_transaction(db.session):  # most passes finish nothing: no write lock for them
        sending = db.session.scalars(
            select(CampaignUpdate.id).where(CampaignUpdate.status == UpdateStatus.SENDING)
        ).all()
        done = [
            update_id
            for update_id in sending
            if not db.session.scalar(select(exists().where(*_unsent(update_id))))
        ]
    for update_id in done:
        with write_transaction(db.session):
            finished = affected_rows(
                db.session.execute(
                    update(CampaignUpdate)
                    .where(
                        CampaignUpdate.id == update_id,
                        CampaignUpdate.status == UpdateStatus.SENDING,
                        ~exists().where(*_unsent(update_id)),
                    )
                    .values(status=UpdateStatus.SENT.value, finished_at=utcnow())
                )
            )
            if finished:
                _queued, sent, failed = _live_counts(update_id)
                _close(update_id, sent, failed)


def _not_a_draft(campaign_update: CampaignUpdate | None) -> str:
    if campaign_update is None:
        return "There is no such update."
    if campaign_update.status == UpdateStatus.CANCELLED:
        return (
            f"This update was cancelled by {campaign_update.cancelled_by}: a cancelled update "
            "cannot be resumed or sent again. Copy it into a new draft if it should still go out."
        )
    return (
        f"This update was already sent by {campaign_update.sent_by}: it goes to each supporter "
        "once, and nothing was sent again."
    )


def _not_sending(campaign_update: CampaignUpdate | None) -> str:
    if campaign_update is None:
        return "There is no such update."
    if campaign_update.status == UpdateStatus.DRAFT:
        return "This update has not been sent: there is nothing to cancel."
    if campaign_update.status == UpdateStatus.CANCELLED:
        return "This update is already cancelled."
    return "This update has been sent to everyone already: there is nothing left to cancel."
