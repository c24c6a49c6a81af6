"""Sending a batch of campaign update messages fast: the batch's rows, signatures and
updates are read in one go, each update is rendered once per language, and each message is
written as bytes with only what differs per supporter filled in (address, date,
Message-ID, personal links). The email package built, parsed and flattened every header
of every message, most of the worker's time (benchmarks/RESULTS.md).

The same templates and headers as mail/update_messages.py, which still writes tests and
the rare message this path leaves to it (an address that needs SMTPUTF8).
"""

import base64
import secrets
from dataclasses import dataclass, replace
from email.utils import format_datetime, make_msgid, parseaddr

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select

from campaign_site.crypto.sealed_box import open_box
from campaign_site.database import read_transaction, write_transaction
from campaign_site.extensions import db
from campaign_site.mail import mx_lookup
from campaign_site.mail.messages import envelope, supporter_links
from campaign_site.mail.transports import MAIL_POLICY
from campaign_site.mail.update_messages import body_html, compose
from campaign_site.models import CampaignUpdate, OutboxMessage, Signature, UpdateStatus, utcnow
from campaign_site.petition import mail_risk, updates

WIRE_POLICY = MAIL_POLICY.clone(linesep="\r\n")
# Stand-ins rendered into the templates once, replaced per supporter; escaping leaves them be.
PERSONAL = ("withdraw_url", "unsubscribe_url")


@dataclass(frozen=True)
class Recipient:
    """What one queued message needs, read inside the batch's read transaction."""

    message_id: int
    update_id: int
    language: str
    email: str
    links: dict[str, str]
    wanted: bool
    signature_id: int = 0
    token_nonce: str = ""  # for a discreet note's links (messages.supporter_links)
    discreet: bool = False  # gets a discreet note instead (update_messages.discreet_note)
    return_token: str | None = None  # its VERP token (mail/return_path.py)


@dataclass(frozen=True)
class Prepared:
    """An update rendered for one language, placeholders where the supporter's links go."""

    head: bytes  # From, Subject, Precedence, List-Unsubscribe-Post, MIME-Version (folded)
    text: str
    html: str
    text_language: str


def read_batch(
    message_ids: list[int],
) -> tuple[list[Recipient], dict[int, dict[str, updates.Text]]]:
    """The batch's recipients (erased ones are simply missing) and the texts of its updates
    that are still being sent."""
    with read_transaction(db.session):
        rows = db.session.execute(
            select(OutboxMessage.id, OutboxMessage.update_id, OutboxMessage.return_token, Signature)
            .join(Signature, Signature.id == OutboxMessage.signature_id)
            .where(OutboxMessage.id.in_(message_ids), OutboxMessage.sent_at.is_(None))
            .order_by(OutboxMessage.id)
        ).all()
        update_ids = {update_id for _id, update_id, _token, _signature in rows}
        sending = set(
            db.session.scalars(
                select(CampaignUpdate.id).where(
                    CampaignUpdate.id.in_(update_ids),
                    CampaignUpdate.status == UpdateStatus.SENDING,
                )
            )
        )
        texts = {update_id: updates.texts_of(update_id) for update_id in sending}
        recipients = [
            _recipient(message_id, update_id, signature, update_id in sending, token)
            for message_id, update_id, token, signature in rows
        ]
    return recipients, texts


def _recipient(
    message_id: int, update_id: int, signature: Signature, sending: bool, token: str | None
) -> Recipient:
    wanted = sending and updates.wants_updates(signature)
    discreet = signature.discreet_mail
    return Recipient(
        message_id=message_id,
        update_id=update_id,
        language=signature.language,
        email=open_box(signature.identity).email if wanted else "",
        links=supporter_links(signature) if wanted and not discreet else {},
        wanted=wanted,
        signature_id=signature.id,
        token_nonce=signature.token_nonce,
        discreet=discreet,
        return_token=token,
    )


def with_mail_servers_checked(recipients: list[Recipient]) -> list[Recipient]:
    """The recipients, those whose address's mail servers are a listed provider's now
    discreet (and marked so for good); asked of DNS after the batch's read, through
    mx_lookup's cache, so a batch asks once per domain at most."""
    found = {
        recipient.message_id
        for recipient in recipients
        if recipient.wanted
        and not recipient.discreet
        and mx_lookup.risky_mail_servers(mail_risk.email_domain(recipient.email))
    }
    if not found:
        return recipients
    with write_transaction(db.session):
        for recipient in recipients:
            if recipient.message_id in found:
                mail_risk.mark_discreet(recipient.signature_id)
    return [
        replace(recipient, discreet=True) if recipient.message_id in found else recipient
        for recipient in recipients
    ]


def prepare(texts: dict[str, updates.Text], language: str, links: dict[str, str]) -> Prepared:
    """Render an update for supporters who signed in language (English where it has no
    text); links gives the page links in their language, the personal ones stand-ins."""
    text_language = language if language in texts else updates.FALLBACK
    text = texts[text_language]
    context = {
        **links,
        **{name: f"@@{name}@@" for name in PERSONAL},
        "subject": text.subject,
        "body": text.body,
        "body_html": body_html(text.body),
    }
    with force_locale(text_language):
        head = envelope(text.subject, "placeholder@example.org", "@@unsubscribe_url@@")
        rendered_text = render_template("email/update.txt", **context)
        rendered_html = render_template("email/update.html", **context)
    for per_message in ("To", "Date", "Message-ID", "List-Unsubscribe"):
        del head[per_message]
    head["Precedence"] = "bulk"
    head["MIME-Version"] = "1.0"
    return Prepared(
        head=head.as_bytes(policy=WIRE_POLICY).rstrip(b"\r\n") + b"\r\n",
        text=rendered_text,
        html=rendered_html,
        text_language=text_language,
    )


def wire_bytes(prepared: Prepared, to: str, links: dict[str, str]) -> bytes:
    """The whole message for one supporter, CRLF line ends, both parts base64."""
    text, html = prepared.text, prepared.html
    for name in PERSONAL:
        text = text.replace(f"@@{name}@@", links[name])
        html = html.replace(f"@@{name}@@", links[name])
    boundary = "=_" + secrets.token_hex(12)
    sender_domain = parseaddr(current_app.config["MAIL_SENDER"])[1].rpartition("@")[2]
    head = (
        f"To: {to}\r\n"
        f"Date: {format_datetime(utcnow())}\r\n"
        f"Message-ID: {make_msgid(domain=sender_domain or 'localhost')}\r\n"
        f"List-Unsubscribe: <{links['unsubscribe_url']}>\r\n"
        f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
    )
    return b"".join(
        (
            prepared.head,
            head.encode("ascii"),
            _part(boundary, "plain", text),
            _part(boundary, "html", html),
            f"--{boundary}--\r\n".encode("ascii"),
        )
    )


def _part(boundary: str, subtype: str, content: str) -> bytes:
    encoded = base64.encodebytes(content.encode("utf-8")).replace(b"\n", b"\r\n")
    return (
        f'--{boundary}\r\nContent-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode("ascii") + encoded


def fallback_message(texts: dict[str, updates.Text], recipient: Recipient):
    """The email package's way, for an address the fast path does not write (SMTPUTF8)."""
    language = recipient.language if recipient.language in texts else updates.FALLBACK
    with force_locale(language):
        return compose(texts[language], recipient.email, recipient.links)
