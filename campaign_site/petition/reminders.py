"""One reminder to confirm: a signature still pending CONFIRMATION_REMINDER_HOURS after
signing, while its confirmation link still works, gets exactly one more email with that link.

The mail worker calls queue_due() on every pass. A reminder is claimed by one UPDATE that
sets reminded_at only where it is still empty, so two workers, a restart or a re-run never
remind anyone twice; the claim and the queued message commit together. Never to a mailbox
that bounced (no mail at all) or complained (nothing it did not ask for): mail_status says.
"""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from campaign_site.database import write_transaction
from campaign_site.extensions import db
from campaign_site.models import MailStatus, Signature, SignatureStatus, utcnow
from campaign_site.petition import mail_queue
from campaign_site.petition.mail_queue import MailKind


def link_expires_at(signature: Signature) -> datetime:
    """When the confirmation link of a signature stops working: the reminder carries a link
    dated when it was signed, so it expires when the first one does."""
    return signature.signed_at + timedelta(days=current_app.config["CONFIRMATION_EXPIRY_DAYS"])


def still_wanted(signature: Signature, now: datetime | None = None) -> bool:
    """Whether a queued reminder should still go: pending, its link alive, mail welcome."""
    return (
        signature.status == SignatureStatus.PENDING
        and signature.mail_status == MailStatus.OK.value
        and (now or utcnow()) < link_expires_at(signature)
    )


def queue_due(now: datetime | None = None, limit: int = 100) -> int:
    """Claim up to `limit` due reminders and queue their emails; how many were queued."""
    hours = current_app.config["CONFIRMATION_REMINDER_HOURS"]
    if hours is None:  # CONFIRMATION_REMINDER_HOURS=off
        return 0
    now = now or utcnow()
    expiry = timedelta(days=current_app.config["CONFIRMATION_EXPIRY_DAYS"])
    unclaimed = (Signature.reminded_at.is_(None), Signature.is_pending)
    due = (
        select(Signature.id)
        .where(
            *unclaimed,
            Signature.mail_status == MailStatus.OK.value,
            Signature.signed_at <= now - timedelta(hours=hours),
            Signature.signed_at > now - expiry,
        )
        .order_by(Signature.signed_at)
        .limit(limit)
    )
    with write_transaction(db.session):
        # The claim: reminded_at set only where still empty, checked again on the row
        # itself (PostgreSQL re-reads a row another worker just changed; SQLite writes one
        # at a time), so what it returns is this worker's alone.
        claimed = db.session.scalars(
            update(Signature)
            .where(Signature.id.in_(due.scalar_subquery()), *unclaimed)
            .values(reminded_at=now)
            .returning(Signature.id)
            .execution_options(synchronize_session=False)
        ).all()
        for signature_id in claimed:
            mail_queue.enqueue(signature_id, MailKind.REMIND)
    return len(claimed)


def reminder_figures() -> dict[str, int]:
    """For the dashboard: signatures reminded, and of those, confirmed after it (read
    through the partial index ix_signature_reminded_at; staff tests left out)."""
    reminded = (Signature.reminded_at.is_not(None), Signature.is_test.is_(False))
    row = db.session.execute(
        select(
            func.count(),
            func.count().filter(
                Signature.is_confirmed, Signature.confirmed_at >= Signature.reminded_at
            ),
        )
        .select_from(Signature)
        .where(*reminded)
    ).one()
    return {"reminded": int(row[0] or 0), "confirmed_after_reminder": int(row[1] or 0)}
