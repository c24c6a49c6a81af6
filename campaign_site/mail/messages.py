"""Writing the emails to supporters: subject, headers, personal links, and the text and HTML
bodies rendered from templates/email/<kind>.txt and .html in the supporter's language.

A discreet email (petition/mail_risk.py says who gets one) is the same message without a
campaign word anywhere: the neutral DISCREET_MAIL_SENDER, a neutral subject, the texts of
templates/email/discreet/, links on DISCREET_LINK_URL, written quoted-printable so what a
mail server stores reads as plainly as what the supporter sees.
"""

import math
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Protocol
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from campaign_site.crypto.sealed_box import open_box
from campaign_site.languages import DEFAULT_LANGUAGE
from campaign_site.mail.transports import MAIL_POLICY, PermanentMailError
from campaign_site.models import Signature, utcnow
from campaign_site.petition import link_tokens, reminders
from campaign_site.petition.mail_queue import MailKind
from campaign_site.text import public_name
from campaign_site.web.i18n import language_root

SUBJECTS = {
    MailKind.CONFIRM: _l("Confirm your signature for Justice for Sergei"),
    MailKind.ALREADY_SIGNED: _l("You have already signed the petition for Justice for Sergei"),
    MailKind.WITHDRAW_LINK: _l("Your new link to withdraw your signature for Justice for Sergei"),
    MailKind.REMIND: _l("A reminder: please confirm your signature for Justice for Sergei"),
}


DISCREET_SUBJECTS = {
    MailKind.CONFIRM: _l("Please confirm your address"),
    MailKind.ALREADY_SIGNED: _l("Your link"),
    MailKind.WITHDRAW_LINK: _l("Your new link"),
    MailKind.UPDATE: _l("News on a page you follow"),
    MailKind.REMIND: _l("A reminder: please confirm your address"),
}


SENDER_NAME = _l("Justice for Sergei Magnitsky")
QUOTED_PRINTABLE_POLICY = MAIL_POLICY.clone(max_line_length=76)


class LinkOwner(Protocol):
    """What the personal links are made from: a Signature, or a recipient read from one."""

    @property
    def token_nonce(self) -> str: ...

    @property
    def language(self) -> str: ...


def site_url(discreet: bool = False) -> str:
    """Where emailed links point: PUBLIC_URL, or for discreet mail DISCREET_LINK_URL if set."""
    config = current_app.config
    return (discreet and config["DISCREET_LINK_URL"]) or config["PUBLIC_URL"]


def external_url(
    endpoint: str, language: str = DEFAULT_LANGUAGE, discreet: bool = False, **values
) -> str:
    """An absolute URL on the site in a language, buildable without a request (the worker
    has none): on PUBLIC_URL, or for discreet mail on site_url(discreet=True)."""
    base = urlsplit(site_url(discreet))
    adapter = current_app.url_map.bind(
        base.netloc,
        script_name=(base.path + language_root(language)) or "/",
        url_scheme=base.scheme or "https",
    )
    return adapter.build(endpoint, values, force_external=True)


def supporter_links(
    signature: LinkOwner, discreet: bool = False, confirm_issued_at: datetime | None = None
) -> dict[str, str]:
    """The personal links every email carries (on DISCREET_LINK_URL for discreet mail); the
    confirm link dated confirm_issued_at if given (a reminder's expires with the first)."""
    language = signature.language

    def url(endpoint: str, **values: str) -> str:
        return external_url(endpoint, language, discreet, **values)

    return {
        "confirm_url": url(
            "links.confirm",
            token=link_tokens.make_token(signature, link_tokens.CONFIRM, confirm_issued_at),
        ),
        "withdraw_url": url(
            "links.withdraw", token=link_tokens.make_token(signature, link_tokens.WITHDRAW)
        ),
        "unsubscribe_url": url(
            "links.unsubscribe", token=link_tokens.make_token(signature, link_tokens.UNSUBSCRIBE)
        ),
        "privacy_url": url("public.privacy"),
        "campaign_url": url("public.index"),
    }


def build_message(kind: MailKind, signature: Signature, discreet: bool = False) -> EmailMessage:
    """A plain-text and HTML email of the given kind for one supporter, in their language;
    discreet: without a campaign word (the module's docstring)."""
    with force_locale(signature.language):
        if discreet:
            return _build_discreet_message(kind, signature)
        return _build_message(kind, signature)


def _build_message(kind: MailKind, signature: Signature) -> EmailMessage:
    person = open_box(signature.identity)  # decrypted only here, while the message is built
    context = {
        # Only a confirmed supporter is greeted by name, never in the confirmation request:
        # until then the name was typed by whoever entered this address, perhaps to put
        # words in front of its owner.
        "name": public_name(person.given_name) if _may_greet_by_name(kind, signature) else None,
        "subject": str(SUBJECTS[kind]),
        **_figures(kind, signature),
        **supporter_links(signature, confirm_issued_at=_confirm_issued_at(kind, signature)),
    }
    message = envelope(str(SUBJECTS[kind]), person.email, context["unsubscribe_url"])
    message.set_content(render_template(f"email/{kind.value}.txt", **context))
    message.add_alternative(render_template(f"email/{kind.value}.html", **context), subtype="html")
    return message


def _build_discreet_message(kind: MailKind, signature: Signature) -> EmailMessage:
    """No name either: a greeting by name is one more thing a reader of the mailbox learns."""
    person = open_box(signature.identity)
    context = {
        **_figures(kind, signature),
        **supporter_links(
            signature, discreet=True, confirm_issued_at=_confirm_issued_at(kind, signature)
        ),
    }
    return discreet_message(kind, person.email, context)


def discreet_message(kind: MailKind, to: str, context: dict[str, object]) -> EmailMessage:
    """A discreet email of a kind, from templates/email/discreet/ (in the current locale);
    context holds the links (supporter_links(..., discreet=True)) and the template's figures."""
    subject = str(DISCREET_SUBJECTS[kind])
    context = {**context, "subject": subject}
    message = envelope(subject, to, str(context["unsubscribe_url"]), discreet=True)
    text = render_template(f"email/discreet/{kind.value}.txt", **context)
    html = render_template(f"email/discreet/{kind.value}.html", **context)
    # Quoted-printable lines of at most 76 characters (RFC 2045); the headers keep MAIL_POLICY.
    message.policy = QUOTED_PRINTABLE_POLICY
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    message.policy = MAIL_POLICY
    return message


def envelope(
    subject: str, to: str, unsubscribe_url: str | None, discreet: bool = False
) -> EmailMessage:
    """A message with its headers and no body yet: From under the campaign's name in the
    current language (discreet: DISCREET_MAIL_SENDER as configured), To the address alone,
    RFC 8058 one-click unsubscribe (none for mail that is no mailing list, unsubscribe_url
    None: an organisation's contact)."""
    # Lines up to RFC 5322's 998 characters: the default 78 folded the List-Unsubscribe URL
    # into RFC 2047 encoded words, which mail clients do not read as a URL, and broke links.
    message = EmailMessage(policy=MAIL_POLICY)
    sender = current_app.config["DISCREET_MAIL_SENDER" if discreet else "MAIL_SENDER"]
    message["Subject"] = subject
    # The sender's address, under the campaign's name in the supporter's language.
    name = parseaddr(sender)[0] if discreet else str(SENDER_NAME)
    message["From"] = Address(name, addr_spec=parseaddr(sender)[1])
    # The address alone: a name typed by whoever signed never enters a header.
    message["To"] = wire_address(to, current_app.config["MAIL_SMTPUTF8"])
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=_domain_of(sender))
    if unsubscribe_url is None:
        return message
    # RFC 8058 one-click unsubscribe: mail clients POST to this URL, no page in between.
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def wire_address(email: str, smtputf8: bool) -> str:
    """The address as it goes to the mail server.

    An internationalised domain is IDNA-encoded, so every server takes it; a local part
    outside ASCII needs SMTPUTF8, sent only where MAIL_SMTPUTF8 allows it.
    """
    try:
        checked = validate_email(email, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        raise PermanentMailError("the stored address is not a valid email address") from None
    if checked.ascii_email:
        return checked.ascii_email
    if not smtputf8:
        raise PermanentMailError("the address needs SMTPUTF8, which MAIL_SMTPUTF8 does not allow")
    return checked.normalized


def _figures(kind: MailKind, signature: Signature) -> dict[str, int]:
    """The numbers the templates say: how long links work (a reminder: the days its
    link has left, counted up, so "1 day" on its last day)."""
    figures = {
        "expiry_days": current_app.config["CONFIRMATION_EXPIRY_DAYS"],
        "withdraw_days": current_app.config["WITHDRAW_LINK_DAYS"],
    }
    if kind == MailKind.REMIND:
        left = reminders.link_expires_at(signature) - utcnow()
        figures["expiry_days"] = max(1, math.ceil(left / timedelta(days=1)))
    return figures


def _confirm_issued_at(kind: MailKind, signature: Signature) -> datetime | None:
    """A reminder's confirm link is dated when the signature was made: the same link,
    expiring when the first one does; other mail's links are dated now."""
    return signature.signed_at if kind == MailKind.REMIND else None


def _may_greet_by_name(kind: MailKind, signature: Signature) -> bool:
    return kind != MailKind.CONFIRM and signature.is_confirmed


def _domain_of(address: str) -> str:
    """The domain part of a From address, for Message-IDs."""
    return parseaddr(address)[1].rpartition("@")[2] or "localhost"
