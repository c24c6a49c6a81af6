"""Staff test signatures: made to try the site (through a signed, short-lived link from the
admin) or marked as tests by an admin afterwards.

A test signature never counts: not in the count shards, the tally (so neither in the
dashboard, the public figures nor the delivery pack), the review queue, invalidation runs or
the CSV export unless asked. It gets only the mail the tester needs to try the flow: the
confirmation link (when confirmation is on) and, if the same address tests again, what a
repeat signer gets; never campaign updates, and its name is never shown. Its mailbox index
is a stand-in (crypto/mailbox_index.index_for_a_test), so a test by a staffer's address
never makes their later real signature a repeat. One click erases them all.
"""

import dataclasses
from typing import TYPE_CHECKING

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, select

from campaign_site.database import affected_rows, write_transaction
from campaign_site.extensions import db
from campaign_site.models import OutboxMessage, Signature, SignatureStatus
from campaign_site.petition import tallies, updates
from campaign_site.petition.counting import add_to_count

if TYPE_CHECKING:
    from campaign_site.petition.signing import NewSignature

LINK_MINUTES = 60  # long enough to fill in the form and read the mail; not a standing key
_SALT = "staff-test-signature"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def new_link_token(admin_id: int) -> str:
    """A token for the public form: signatures made with it within LINK_MINUTES are tests."""
    return _serializer().dumps({"admin": admin_id})


def token_is_valid(token: str) -> bool:
    """Whether the token is ours, unaltered and younger than LINK_MINUTES."""
    try:
        _serializer().loads(token, max_age=LINK_MINUTES * 60)
    except BadSignature:  # SignatureExpired is one
        return False
    return True


def as_test(new: "NewSignature") -> "NewSignature":
    """The signature as a test: no updates, no name shown, nothing for the review queue."""
    return dataclasses.replace(
        new, is_test=True, keep_informed=False, show_name=False, review_marks=()
    )


def held() -> int:
    """How many test signatures are held (the partial index; no scan)."""
    return int(db.session.scalar(select(func.count()).where(Signature.is_test)) or 0)


def mark(signature_id: int) -> bool:
    """Make a signature a test: off the count and the tally as if it never counted, out of
    the review queue and of queued updates. False if it is gone or already a test."""
    with write_transaction(db.session):
        signature = db.session.get(Signature, signature_id, with_for_update=True)
        if signature is None or signature.is_test:
            return False
        confirmed = signature.is_confirmed
        # An invalidated signature already left the tally's signed and the count.
        signed = signature.status != SignatureStatus.INVALIDATED
        informed = confirmed and signature.keep_informed
        tallies.add(
            tallies.key_of(signature),
            signed=-int(signed),
            confirmed=-int(confirmed),
            informed=-int(informed),
        )
        if confirmed:
            add_to_count(-1)
        updates.drop_queued_for_invalidated([signature.id])
        signature.is_test = True
        signature.keep_informed = False
        signature.show_name = False
        signature.review_marks = ""
        return True  # its status stays; invalidation.py leaves test signatures alone


def erase_all() -> int:
    """Erase every test signature and its queued mail; how many went. Nothing counted them,
    so no count moves, and there is no one to write down in the erasure ledger."""
    with write_transaction(db.session):
        ids = select(Signature.id).where(Signature.is_test).scalar_subquery()
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.signature_id.in_(ids)))
        return affected_rows(db.session.execute(delete(Signature).where(Signature.is_test)))
