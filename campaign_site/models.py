"""The tables (signatures, their count, the mail outbox, daily tallies, admin accounts) and
the signature status vocabulary with its query helpers."""

import secrets
from datetime import UTC, date, datetime, time
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    false,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from campaign_site.extensions import db
from campaign_site.languages import DEFAULT_LANGUAGE


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back aware datetimes (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Bounds the form enforces on what is sealed into Signature.identity.
GIVEN_NAME_MAX = 100
FAMILY_NAME_MAX = 100
EMAIL_MAX = 254
POSTCODE_CITY_MAX = 100


# A key id (4 bytes) and an HMAC-SHA256 (32): crypto/mailbox_index.py makes them.
EMAIL_HASH_BYTES = 36
SIGNAL_HASH_BYTES = 36  # the same shape, from crypto/signal_hashes.py


class SignatureStatus(StrEnum):
    """Where a signature stands; stored as its value, so the database holds plain words."""

    PENDING = "pending"  # waiting for its address to be confirmed
    CONFIRMED = "confirmed"  # counted
    INVALIDATED = "invalidated"  # found fraudulent by an organiser: not counted, not mailed


class MailStatus(StrEnum):
    """Whether a mailbox takes our mail, from the bounces and complaints read back
    (mail/bounces.py); stored as its value, and the CSV export's mail_status column."""

    OK = "ok"
    BOUNCED = "bounced"  # undeliverable: no mail at all until it signs again
    COMPLAINED = "complained"  # marked us as spam: only the links it asks for again


class StatusColumn(TypeDecorator[SignatureStatus]):
    """A status column that hands back SignatureStatus members, not bare strings."""

    impl = String(16)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else SignatureStatus(value).value

    def process_result_value(self, value: str | None, dialect) -> SignatureStatus | None:
        return None if value is None else SignatureStatus(value)


def new_token_nonce() -> str:
    """A random value that ties emailed links to one signature (ids can be reused)."""
    return secrets.token_hex(16)


class Signature(db.Model):
    """One supporter's signature: pending until the address is confirmed."""

    __tablename__ = "signature"
    __table_args__ = (
        Index("ix_signature_status_show_name_id", "status", "show_name", "id"),
        Index("ix_signature_status_signed_at", "status", "signed_at"),
        # The CSV export of one status reads in id order from here, with no sort before row one.
        Index("ix_signature_status_id", "status", "id"),
        # Fraud signals: the busiest networks and domains of the last hour, and matching them.
        Index("ix_signature_signed_at", "signed_at"),
        Index("ix_signature_network_hash", "network_hash"),
        Index("ix_signature_domain_hash", "domain_hash"),
        # The few discreet ones, counted for the dashboard without reading the rest.
        Index(
            "ix_signature_discreet_mail",
            "discreet_mail",
            sqlite_where=text("discreet_mail = 1"),
            postgresql_where=text("discreet_mail"),
        ),
        # The few staff test signatures, found (and erased) without reading the rest.
        Index(
            "ix_signature_is_test",
            "is_test",
            sqlite_where=text("is_test = 1"),
            postgresql_where=text("is_test"),
        ),
        # The few reminded ones and the few whose mail bounced or was refused, counted for
        # the dashboard without reading the rest.
        Index(
            "ix_signature_reminded_at",
            "reminded_at",
            sqlite_where=text("reminded_at IS NOT NULL"),
            postgresql_where=text("reminded_at IS NOT NULL"),
        ),
        Index(
            "ix_signature_mail_status",
            "mail_status",
            sqlite_where=text("mail_status <> 'ok'"),
            postgresql_where=text("mail_status <> 'ok'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who signed (names, email as typed, postcode/city), only ever sealed (crypto/sealed_box.py).
    # Attributes are named for what they are for; the columns keep their first names.
    identity: Mapped[bytes] = mapped_column("personal", LargeBinary, key="identity")
    # One signature per mailbox: the mailbox's blind index (crypto/mailbox_index.py), unique.
    mailbox_index: Mapped[bytes] = mapped_column(
        "email_hash", LargeBinary(EMAIL_HASH_BYTES), key="mailbox_index", unique=True
    )
    country: Mapped[str] = mapped_column(String(2))
    # The language the supporter signed in (en, de, ru, uk): their emails are written in it.
    language: Mapped[str] = mapped_column(
        String(8), default=DEFAULT_LANGUAGE, server_default=DEFAULT_LANGUAGE
    )
    keep_informed: Mapped[bool] = mapped_column(default=False)
    show_name: Mapped[bool] = mapped_column(default=False)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[SignatureStatus] = mapped_column(StatusColumn, default=SignatureStatus.PENDING)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Emailed links carry it and find the signature by it (petition/link_tokens.py).
    token_nonce: Mapped[str] = mapped_column(String(32), default=new_token_nonce, index=True)
    # When the supporter was last emailed; repeat sign-ups may not mail more often.
    last_emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why organisers may want a second look (signing.TOO_FAST, ...), comma-separated; the
    # signature counts all the same.
    review_marks: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # Where the signer came from: the link's ?source= (or utm_source) and utm_campaign.
    source: Mapped[str | None] = mapped_column(String(64))
    source_campaign: Mapped[str | None] = mapped_column(String(64))
    # The supporter opened the confirmation link, so the address is theirs: only such
    # signatures receive campaign updates (not those counted with CONFIRMATION_REQUIRED off).
    mailbox_proven: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Fraud signals (crypto/signal_hashes.py): keyed hashes of the client's /24 or /48
    # (erased after NETWORK_HASH_RETENTION_DAYS) and of the email's domain; never the values.
    network_hash: Mapped[bytes | None] = mapped_column(LargeBinary(SIGNAL_HASH_BYTES))
    domain_hash: Mapped[bytes | None] = mapped_column(LargeBinary(SIGNAL_HASH_BYTES))
    # An invalidated signature keeps the status it had, to go back to if revalidated.
    invalidated_from: Mapped[str | None] = mapped_column(String(16))
    invalidated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Every email to it is discreet: no campaign words (petition/mail_risk.py says when).
    discreet_mail: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Made by staff to try the site (petition/test_signatures.py): never counted anywhere.
    is_test: Mapped[bool] = mapped_column(default=False, server_default=false())
    # When the one reminder to confirm was claimed for it (petition/reminders.py).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # MailStatus: whether its mailbox takes mail; soft bounces counted towards a hard one.
    mail_status: Mapped[str] = mapped_column(
        String(16), default=MailStatus.OK.value, server_default=MailStatus.OK.value
    )
    soft_bounces: Mapped[int] = mapped_column(default=0, server_default="0")

    @hybrid_property
    def is_pending(self) -> bool:
        """Waiting for confirmation; in a query, the condition that selects such rows."""
        return self.status == SignatureStatus.PENDING

    @is_pending.inplace.expression
    @classmethod
    def _is_pending_expression(cls) -> ColumnElement[bool]:
        return cls.status == SignatureStatus.PENDING

    @hybrid_property
    def is_confirmed(self) -> bool:
        """Confirmed and counted; in a query, the condition that selects such rows."""
        return self.status == SignatureStatus.CONFIRMED

    @is_confirmed.inplace.expression
    @classmethod
    def _is_confirmed_expression(cls) -> ColumnElement[bool]:
        return cls.status == SignatureStatus.CONFIRMED

    def __repr__(self) -> str:
        return f"<Signature {self.id}>"


class OutboxMessage(db.Model):
    """An email to send, written in the same transaction as the change that causes it.

    It names the signature and the kind of message, not the text: the worker renders it
    when sending, so no copy of personal data waits here, and erasing the signature
    cancels the message.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_sent_at_next_attempt_at", "sent_at", "next_attempt_at"),
        # Transactional mail (update_id NULL) is claimed before an update's, found from here
        # without stepping over a large update's queued rows.
        Index("ix_outbox_message_queue", "update_id", "sent_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The signature it is for; or, for an organisation's contact, organisation_id instead.
    signature_id: Mapped[int | None] = mapped_column(
        ForeignKey("signature.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # A worker holds a message until this time; a crashed worker's messages come back.
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set for a campaign update's message (kind "update"): paced by MAIL_RATE_PER_MINUTE.
    update_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_update.id"))
    # The random token of its VERP return path (mail/return_path.py), given when first
    # claimed: a bounce or complaint names it, and so this message and its signature.
    return_token: Mapped[str | None] = mapped_column(String(32), unique=True)
    # Set (and signature_id not) for a message to an organisation's contact.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )


class UpdateStatus(StrEnum):
    """Where a campaign update stands."""

    DRAFT = "draft"  # being written; may be edited, previewed, tested
    SENDING = "sending"  # queued for its recipients; the worker is sending it
    SENT = "sent"  # every message sent or given up on; the figures are final
    CANCELLED = "cancelled"  # stopped by an organiser; what was still queued was dropped


class CampaignUpdate(db.Model):
    """A message from the campaign to the supporters who asked for news (petition/updates.py).

    The texts are kept for the record; the recipients are not: they are derived from the
    signatures when it is sent, and each message is an outbox row until it goes out.
    """

    __tablename__ = "campaign_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=UpdateStatus.DRAFT.value)
    written_by: Mapped[str] = mapped_column(String(EMAIL_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who it goes to, beyond "confirmed, asked for news, mailbox proven" (None: everyone).
    language: Mapped[str | None] = mapped_column(String(8))
    country: Mapped[str | None] = mapped_column(String(2))
    source: Mapped[str | None] = mapped_column(String(64))
    sent_by: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipients: Mapped[int | None] = mapped_column()  # messages queued when it was sent
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_count: Mapped[int | None] = mapped_column()  # final figures, set when finished
    failed_count: Mapped[int | None] = mapped_column()
    # Queued messages dropped because their supporter unsubscribed during the send.
    unsubscribed_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # ... because their signature was invalidated as fraud during the send.
    invalidated_count: Mapped[int] = mapped_column(default=0, server_default="0")
    cancelled_by: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_count: Mapped[int] = mapped_column(default=0, server_default="0")


class CampaignUpdateText(db.Model):
    """An update's subject and body in one language (English always, others optional)."""

    __tablename__ = "campaign_update_text"

    update_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_update.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)


class MailPace(db.Model):
    """The shared allowance for update mail (a token bucket, one row): every worker on every
    machine takes from it, so MAIL_RATE_PER_MINUTE holds for all of them together."""

    __tablename__ = "mail_pace"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    tokens: Mapped[float] = mapped_column(Float)
    refilled_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DailyTally(db.Model):
    """Confirmed signatures per day and country, kept after personal data is anonymised."""

    __tablename__ = "daily_tally"

    day: Mapped[date] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    signatures: Mapped[int] = mapped_column(BigInteger)


class SignatureCountShard(db.Model):
    """The signature count, split over a few rows so concurrent signers don't queue on one."""

    __tablename__ = "signature_count_shard"

    shard: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class AdminUser(db.Model):
    """Someone allowed to read and export signatures."""

    __tablename__ = "admin_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Comma-separated: viewer, organiser, exporter, owner (accounts/permissions.py says what each may).
    roles: Mapped[str] = mapped_column(String(64), default="owner", server_default="owner")
    # Sessions carry the epoch they began in; raising it ends every one of them.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # The second factor: the TOTP secret sealed under the data key (None: not enrolled), the
    # last time step a code was accepted for (each code works once), and the recovery codes'
    # hashes, space-separated (a used one is removed).
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    recovery_codes: Mapped[str] = mapped_column(Text, default="", server_default="")

    def __repr__(self) -> str:
        return f"<AdminUser {self.id}>"


class AdminAudit(db.Model):
    """One admin action (logins and failures, pause and resume, exports, searches, account
    changes ...): appended by the application, never updated or deleted by it, and never
    holding a supporter's personal data."""

    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    admin_email: Mapped[str] = mapped_column(String(EMAIL_MAX), default="", server_default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    detail: Mapped[str] = mapped_column(String(500), default="", server_default="")


class ExportRequest(db.Model):
    """An export of personal data asked for while EXPORT_APPROVAL_REQUIRED is set: it runs
    once, after a second owner approves it."""

    __tablename__ = "export_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by: Mapped[str] = mapped_column(String(EMAIL_MAX))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    what: Mapped[str] = mapped_column(String(64))  # e.g. "csv:confirmed", "delivery:names"
    approved_by: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExportAudit(db.Model):
    """Who downloaded supporters' data, when, which part, and how many rows."""

    __tablename__ = "export_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The email is copied so the record outlives the admin account.
    admin_email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    exported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status_filter: Mapped[str] = mapped_column(String(16))
    # Filled in when the download finishes; stays empty if it was cut off.
    rows: Mapped[int | None] = mapped_column()


class SignatureTally(db.Model):
    """Signatures per hour signed, source, country and language: what the dashboard (totals,
    charts, per source, country and language) and the public per-country counts read, so
    none scans the signatures.

    Kept by the signing rules in the same transaction as the change it counts (signed,
    confirmed, withdrawn, purged); `repeats` counts signing again with a signed address,
    which writes this table as a first signature does (the same work either way).
    """

    __tablename__ = "signature_tally"
    # The dashboard's sums per source, country and language read this index in order
    # instead of sorting every row (counting.tally_breakdown; migration 0024).
    __table_args__ = (
        Index(
            "ix_signature_tally_breakdown",
            "source",
            "country",
            "language",
            "signed",
            "confirmed",
            "informed",
        ),
    )

    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)  # "" for none
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    signed: Mapped[int] = mapped_column(BigInteger, default=0)
    confirmed: Mapped[int] = mapped_column(BigInteger, default=0)
    informed: Mapped[int] = mapped_column(BigInteger, default=0)  # confirmed, want updates
    repeats: Mapped[int] = mapped_column(BigInteger, default=0)


class Event(db.Model):
    """A screening or other event: its source code brings its signatures together, and its
    QR poster links to the campaign page with that code."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date] = mapped_column()
    starts_at: Mapped[time | None] = mapped_column()  # local time at the venue; optional
    venue: Mapped[str | None] = mapped_column(String(200))
    film: Mapped[str] = mapped_column(String(16), default="justice", server_default="justice")
    language: Mapped[str] = mapped_column(
        String(8), default=DEFAULT_LANGUAGE, server_default=DEFAULT_LANGUAGE
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PaperCount(db.Model):
    """Signatures collected on paper, entered as a count per event and country: never part
    of the online count. Entries are never changed; a correction is a new entry."""

    __tablename__ = "paper_count"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))
    country: Mapped[str] = mapped_column(String(2))
    signatures: Mapped[int] = mapped_column()
    note: Mapped[str] = mapped_column(String(200), default="", server_default="")
    entered_by: Mapped[str] = mapped_column(String(EMAIL_MAX))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SiteSetting(db.Model):
    """A switch admins can flip while the site runs (e.g. pausing signing)."""

    __tablename__ = "site_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ContentVersion(db.Model):
    """The campaign's words as saved from /admin/content (petition/campaign_content.py): a
    draft until published; published ones are kept, so any can be restored."""

    __tablename__ = "content_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    document: Mapped[str] = mapped_column(Text)  # JSON: the content file's tables + translations
    note: Mapped[str] = mapped_column(String(120), default="", server_default="")
    saved_by: Mapped[str] = mapped_column(String(EMAIL_MAX))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class PartnerOrigin(db.Model):
    """A partner's site that organisers allowed to frame the embed from the admin (beside
    the operators' fixed EMBED_ORIGINS). Stored normalised by config.embed_origin."""

    __tablename__ = "partner_origin"

    origin: Mapped[str] = mapped_column(String(255), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(EMAIL_MAX))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrganisationStatus(StrEnum):
    """Where an organisation's application stands with the organisers (its contact's
    confirmation is apart: confirmed_at)."""

    PENDING = "pending"  # waiting for an organiser
    APPROVED = "approved"  # shown publicly once its contact has confirmed too
    REJECTED = "rejected"


# Bounds the apply form enforces (petition/organisations.py).
ORGANISATION_NAME_MAX = 200
WEBSITE_MAX = 300


class Organisation(db.Model):
    """An organisation that co-signs (petition/organisations.py): shown publicly, with its
    logo, only once its contact has confirmed by email AND an organiser has approved it.
    Withdrawing deletes the row. The contact's address is sealed like a signer's."""

    __tablename__ = "organisation"
    __table_args__ = (Index("ix_organisation_status_confirmed_at", "status", "confirmed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(ORGANISATION_NAME_MAX))
    website: Mapped[str] = mapped_column(String(WEBSITE_MAX))
    country: Mapped[str] = mapped_column(String(2))
    # The contact's email, only ever sealed (crypto/sealed_box.py, a Person with the email).
    contact: Mapped[bytes] = mapped_column(LargeBinary)
    # The language the form was sent in: the contact's emails are written in it.
    language: Mapped[str] = mapped_column(String(8), default=DEFAULT_LANGUAGE)
    status: Mapped[str] = mapped_column(String(16), default=OrganisationStatus.PENDING.value)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Emailed links carry it (petition/link_tokens.py), as a signature's do.
    token_nonce: Mapped[str] = mapped_column(String(32), default=new_token_nonce, index=True)
    # The logo as re-encoded by petition/logos.py (never the uploaded bytes), its type
    # (image/png or image/jpeg), size, and SHA-256 (hex): the URL it is served under.
    logo: Mapped[bytes] = mapped_column(LargeBinary)
    logo_type: Mapped[str] = mapped_column(String(16))
    logo_width: Mapped[int] = mapped_column()
    logo_height: Mapped[int] = mapped_column()
    logo_digest: Mapped[str] = mapped_column(String(64), index=True)


class PetitionResponse(db.Model):
    """The addressee's answer, or the outcome, as organisers enter it at /admin/response
    (petition/response.py): one row (id 1), changed in place; every change is audited."""

    __tablename__ = "petition_response"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    responded_on: Mapped[date] = mapped_column()
    texts: Mapped[str] = mapped_column(Text)  # JSON: {language code: text}; English required
    link: Mapped[str] = mapped_column(String(500), default="", server_default="")
    updated_by: Mapped[str] = mapped_column(String(EMAIL_MAX))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MilestoneReached(db.Model):
    """The day the count first stood at or above a milestone of the content file: recorded
    once (petition/milestones.py), so the date the page gives never moves."""

    __tablename__ = "milestone_reached"

    signatures: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    reached_on: Mapped[date] = mapped_column()
