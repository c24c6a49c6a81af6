"""Writing the emails to supporters: subject, headers, personal links, and the text and HTML
bodies rendered from templates/email/<kind>.txt and .html in the supporter's language."""

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from campaign_site.crypto.sealed_box import open_box
from campaign_site.languages import DEFAULT_LANGUAGE
from campaign_site.mail.transports import MAIL_POLICY, PermanentMailError
from campaign_site.models import Signature, utcnow
from campaign_site.petition import link_tokens
from campaign_site.petition.mail_queue import MailKind
from campaign_site.text import public_name
from campaign_site.web.i18n import language_root

SUBJECTS = {
    MailKind.CONFIRM: _l("Confirm your signature for Justice for Sergei"),
    MailKind.ALREADY_SIGNED: _l("You have already signed the petition for Justice for Sergei"),
    MailKind.WITHDRAW_LINK: _l("Your new link to withdraw your signature for Justice for Sergei"),
}


SENDER_NAME = _l("Justice for Sergei Magnitsky")


def external_url(endpoint: str, language: str = DEFAULT_LANGUAGE, **values) -> str:
    """An absolute URL on PUBLIC_URL in a language, buildable without a request (the worker has none)."""
    base = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        base.netloc,
        script_name=(base.path + language_root(language)) or "/",
        url_scheme=base.scheme or "https",
    )
    return adapter.build(endpoint, values, force_external=True)


def supporter_links(signature: Signature) -> dict[str, str]:
    """The personal links every email carries."""
    language = signature.language
    return {
        "confirm_url": external_url(
            "links.confirm", language, token=link_tokens.make_token(signature, link_tokens.CONFIRM)
        ),
        "withdraw_url": external_url(
            "links.withdraw",
            language,
            token=link_tokens.make_token(signature, link_tokens.WITHDRAW),
        ),
        "unsubscribe_url": external_url(
            "links.unsubscribe",
            language,
            token=link_tokens.make_token(signature, link_tokens.UNSUBSCRIBE),
        ),
        "privacy_url": external_url("public.privacy", language),
        "campaign_url": external_url("public.index", language),
    }


def build_message(kind: MailKind, signature: Signature) -> EmailMessage:
    """A plain-text and HTML email of the given kind for one supporter, in their language."""
    with force_locale(signature.language):
        return _build_message(kind, signature)


def _build_message(kind: MailKind, signature: Signature) -> EmailMessage:
    person = open_box(signature.identity)  # decrypted only here, while the message is built
    context = {
        # Only a confirmed supporter is greeted by name, never in the confirmation request:
        # until then the name was typed by whoever entered this address, perhaps to put
        # words in front of its owner.
        "name": public_name(person.given_name) if _may_greet_by_name(kind, signature) else None,
        "subject": str(SUBJECTS[kind]),
        "expiry_days": current_app.config["CONFIRMATION_EXPIRY_DAYS"],
        "withdraw_days": current_app.config["WITHDRAW_LINK_DAYS"],
        **supporter_links(signature),
    }
    message = envelope(str(SUBJECTS[kind]), person.email, context["unsubscribe_url"])
    message.set_content(render_template(f"email/{kind.value}.txt", **context))
    message.add_alternative(render_template(f"email/{kind.value}.html", **context), subtype="html")
    return message


def envelope(subject: str, to: str, unsubscribe_url: str) -> EmailMessage:
    """A message with its headers and no body yet: From under the campaign's name in the
    current language, To the address alone, RFC 8058 one-click unsubscribe."""
    # Lines up to RFC 5322's 998 characters: the default 78 folded the List-Unsubscribe URL
    # into RFC 2047 encoded words, which mail clients do not read as a URL, and broke links.
    message = EmailMessage(policy=MAIL_POLICY)
    sender = current_app.config["MAIL_SENDER"]
    message["Subject"] = subject
    # The sender's address, under the campaign's name in the supporter's language.
    message["From"] = Address(str(SENDER_NAME), addr_spec=parseaddr(sender)[1])
    # The address alone: a name typed by whoever signed never enters a header.
    message["To"] = wire_address(to, current_app.config["MAIL_SMTPUTF8"])
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=_domain_of(sender))
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


def _may_greet_by_name(kind: MailKind, signature: Signature) -> bool:
    return kind != MailKind.CONFIRM and signature.is_confirmed


def _domain_of(address: str) -> str:
    """The domain part of a From address, for Message-IDs."""
    return parseaddr(address)[1].rpartition("@")[2] or "localhost"
