"""Signed, single-purpose links for emails: confirm, withdraw, unsubscribe; and for an
organisation's contact, confirm and withdraw (organisation_for).

A token carries the signature's random nonce, signed with SECRET_KEY and a salt per
purpose, so a confirm link cannot be used to withdraw, and a link outlives neither the
signature it names nor a reused id. Nothing secret is stored. The payload is readable (it
is signed, not encrypted), so it holds no row id: ids come in order, and on SQLite a repeat
signature takes none, so ids read from one's own links around a victim's signing would tell
whether that address had signed. Links mailed before carry [id, nonce] and still work.
"""

from datetime import datetime
from typing import Protocol

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from campaign_site.extensions import db
from campaign_site.models import Organisation, Signature

CONFIRM = "confirm"
WITHDRAW = "withdraw"
UNSUBSCRIBE = "unsubscribe"
# An organisation's links: salts of their own, so no signer's link ever works as one.
ORGANISATION_CONFIRM = "organisation-confirm"
ORGANISATION_WITHDRAW = "organisation-withdraw"
PURPOSES = (CONFIRM, WITHDRAW, UNSUBSCRIBE, ORGANISATION_CONFIRM, ORGANISATION_WITHDRAW)


class TokenExpired(Exception):
    """A genuine link that is too old; carries its signature if that still exists."""

    def __init__(self, signature: Signature | None = None) -> None:
        super().__init__()
        self.signature = signature


class TokenInvalid(Exception):
    """A link we did not make, or one whose signature no longer exists."""


def _serializer(purpose: str, issued_at: datetime | None = None) -> URLSafeTimedSerializer:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    secret, salt = current_app.config["SECRET_KEY"], f"signature-{purpose}"
    if issued_at is None:
        return URLSafeTimedSerializer(secret, salt=salt)
    stamp = int(issued_at.timestamp())

    class SignerAt(TimestampSigner):
        def get_timestamp(self) -> int:
            return stamp

    return URLSafeTimedSerializer(secret, salt=salt, signer=SignerAt)


class Nonced(Protocol):
    """A signature, or what the mail worker read of one: the nonce is all a token needs."""

    @property
    def token_nonce(self) -> str: ...


def make_token(signature: Nonced, purpose: str, issued_at: datetime | None = None) -> str:
    """A token for one purpose on one signature, dated now (or issued_at: tests of expiry)."""
    return _serializer(purpose, issued_at).dumps([signature.token_nonce])


def max_age(purpose: str) -> int | None:
    """Confirm and withdraw links expire (a withdraw link erases, so it must not live forever);
    unsubscribe links work for as long as the data exists, and so does an organisation's
    withdraw link: it is mailed once, at confirmation, and only takes its name off the page."""
    days = {
        CONFIRM: "CONFIRMATION_EXPIRY_DAYS",
        WITHDRAW: "WITHDRAW_LINK_DAYS",
        ORGANISATION_CONFIRM: "CONFIRMATION_EXPIRY_DAYS",
    }.get(purpose)
    return current_app.config[days] * 24 * 3600 if days else None


def signature_for(token: str, purpose: str) -> Signature:
    """The signature a token names, or TokenExpired / TokenInvalid."""
    serializer = _serializer(purpose)
    try:
        payload = serializer.loads(token, max_age=max_age(purpose))
    except SignatureExpired as expired:
        # Genuine but old: say so, and let the caller see whether it was confirmed anyway.
        old = serializer.load_payload(expired.payload) if expired.payload is not None else None
        raise TokenExpired(_lookup(old)) from None
    except BadSignature:
        raise TokenInvalid() from None
    signature = _lookup(payload)
    if signature is None:
        raise TokenInvalid()
    return signature


def _lookup(payload: object) -> Signature | None:
    """The signature a decoded payload names: [nonce], or the older [id, nonce]."""
    if isinstance(payload, list) and len(payload) == 1 and isinstance(payload[0], str):
        return db.session.scalar(select(Signature).where(Signature.token_nonce == payload[0]))
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)):
        return None
    signature_id, nonce = payload
    signature = db.session.get(Signature, signature_id)
    if signature is None or signature.token_nonce != nonce:
        return None
    return signature


def organisation_for(token: str, purpose: str) -> Organisation:
    """The organisation an organisation's link names, or TokenExpired / TokenInvalid (an
    expired link carries no signature, and says nothing of the organisation)."""
    if purpose not in (ORGANISATION_CONFIRM, ORGANISATION_WITHDRAW):
        raise ValueError(f"not an organisation's purpose: {purpose!r}")
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age(purpose))
    except SignatureExpired:
        raise TokenExpired() from None
    except BadSignature:
        raise TokenInvalid() from None
    if not (isinstance(payload, list) and len(payload) == 1 and isinstance(payload[0], str)):
        raise TokenInvalid()
    found: Organisation | None = db.session.scalar(
        select(Organisation).where(Organisation.token_nonce == payload[0])
    )
    if found is None:
        raise TokenInvalid()
    return found
