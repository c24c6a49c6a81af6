"""What the mail that came back says about a mailbox: bounces and complaints.

`flask mail-bounces` (mail/bounces.py) reads the delivery and complaint reports; here they
are applied to the signature they name. A hard bounce (or SOFT_BOUNCES_TO_HARD soft ones)
marks its mailbox undeliverable: no mail of any kind goes to it until it signs again. A
complaint unsubscribes it from everything but the links it asks for again (signing again
still mails its link, a fresh withdraw link still goes). Signatures are found by the
message's return path token first, else by the reported address through the keyed mailbox
index: the address is never looked up, logged or stored in the clear.
"""

from enum import StrEnum

from sqlalchemy import func, select

from campaign_site.crypto.mailbox_index import blind_indexes
from campaign_site.database import write_transaction
from campaign_site.extensions import db
from campaign_site.models import MailStatus, OutboxMessage, Signature
from campaign_site.petition import signing
from campaign_site.petition.mail_queue import MailKind

# Three delays or temporary refusals (4.x.x) count as one permanent refusal.
SOFT_BOUNCES_TO_HARD = 3

# What a mailbox that complained still gets: only what its owner asks for again.
UNASKED = (MailKind.REMIND, MailKind.UPDATE)


class Feedback(StrEnum):
    """What a report says happened to a message."""

    HARD = "hard"  # refused for good (Status 5.x.x)
    SOFT = "soft"  # delayed or refused for now (Status 4.x.x)
    COMPLAINT = "complaint"  # the recipient marked it as spam (an ARF feedback report)


def may_mail(signature: Signature, kind: MailKind | str) -> bool:
    """Whether an email of this kind may still go to this signature's mailbox."""
    if signature.mail_status == MailStatus.BOUNCED.value:
        return False
    if signature.mail_status == MailStatus.COMPLAINED.value:
        return MailKind(kind) not in UNASKED
    return True


def signature_for_token(token: str) -> int | None:
    """The signature a return path token's message was sent to (None if erased since)."""
    return db.session.scalar(
        select(OutboxMessage.signature_id).where(OutboxMessage.return_token == token)
    )


def signature_for_address(address: str) -> int | None:
    """The signature of a reported address, through its keyed mailbox index."""
    return db.session.scalar(
        select(Signature.id).where(Signature.mailbox_index.in_(blind_indexes(address)))
    )


def record(signature_id: int, feedback: Feedback) -> bool:
    """Apply one report to a signature, in one transaction; False if it is gone."""
    with write_transaction(db.session):
        signature = db.session.get(Signature, signature_id, with_for_update=True)
        if signature is None:
            return False
        if feedback == Feedback.COMPLAINT:
            signing.stop_updates(signature)
            if signature.mail_status != MailStatus.BOUNCED.value:
                signature.mail_status = MailStatus.COMPLAINED.value
        elif signature.mail_status == MailStatus.BOUNCED.value:
            pass  # nothing more to learn
        elif feedback == Feedback.HARD:
            signature.mail_status, signature.soft_bounces = MailStatus.BOUNCED.value, 0
        else:
            signature.soft_bounces += 1
            if signature.soft_bounces >= SOFT_BOUNCES_TO_HARD:
                signature.mail_status, signature.soft_bounces = MailStatus.BOUNCED.value, 0
    return True


def mail_status_figures() -> dict[str, int]:
    """For the dashboard: how many signatures held bounced or complained (through the
    partial index ix_signature_mail_status; staff tests left out)."""
    rows = db.session.execute(
        select(Signature.mail_status, func.count())
        .where(Signature.mail_status != MailStatus.OK.value, Signature.is_test.is_(False))
        .group_by(Signature.mail_status)
    ).all()
    found = {status: int(count) for status, count in rows}
    return {
        "bounced": found.get(MailStatus.BOUNCED.value, 0),
        "complained": found.get(MailStatus.COMPLAINED.value, 0),
    }
