"""The mail a change owes a supporter, queued in the same transaction as the change.

A row in the outbox names the signature and the kind of message, never its text:
mail/outbox.py renders and sends it later, so a lost mail server never loses a signature
and no copy of personal data waits in the queue.
"""

from enum import StrEnum

from sqlalchemy import insert

from campaign_site.extensions import db
from campaign_site.models import OutboxMessage


class MailKind(StrEnum):
    """Which message; each has its templates in templates/email/<kind>.txt and .html."""

    CONFIRM = "confirm"  # the confirmation link (and again to a repeat signer still pending)
    ALREADY_SIGNED = "already-signed"  # a repeat signer already confirmed: their withdraw link
    WITHDRAW_LINK = "withdraw-link"  # a fresh withdraw link for an expired one
    UPDATE = "update"  # a campaign update (petition/updates.py queues these, many at once)
    REMIND = "remind"  # the one reminder to confirm (petition/reminders.py queues it)
    # To an organisation's contact (petition/organisations.py): the confirmation link, then
    # once confirmed the link to withdraw the organisation's support.
    ORGANISATION_CONFIRM = "organisation-confirm"
    ORGANISATION_CONFIRMED = "organisation-confirmed"


# Built once; the Table's column defaults fill in the rest.
_ENQUEUE = insert(OutboxMessage.__table__)


def enqueue(signature_id: int, kind: MailKind) -> None:
    """Queue an email, inside the caller's transaction."""
    db.session.execute(_ENQUEUE, {"signature_id": signature_id, "kind": MailKind(kind).value})


def enqueue_for_organisation(organisation_id: int, kind: MailKind) -> None:
    """Queue an email to an organisation's contact, inside the caller's transaction."""
    db.session.execute(_ENQUEUE, {"organisation_id": organisation_id, "kind": MailKind(kind).value})
