"""Emails to supporters: rendering them from templates, and the ways of sending them.

SMTP when MAIL_SMTP_HOST is set; otherwise each message is written as an .eml file in
instance/outbox/ and its links are printed, so development needs no mail server.
"""

import os
import secrets
import smtplib
import ssl
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from campaign_site.models import CONFIRMED, Signature, utcnow
from campaign_site.petition import link_tokens as tokens
from campaign_site.text import public_name
from campaign_site.web.i18n import language_root

SUBJECTS = {
    "confirm": _l("Confirm your signature for Justice for Sergei"),
    "already-signed": _l("You have already signed the petition for Justice for Sergei"),
    "withdraw-link": _l("Your new link to withdraw your signature for Justice for Sergei"),
}


SENDER_NAME = _l("Justice for Sergei Magnitsky")


class PermanentMailError(Exception):
    """The message can never go out as it is (no such mailbox, an address we cannot send to)."""


def external_url(endpoint: str, language: str = "en", **values) -> str:
    """An absolute URL on PUBLIC_URL in a language, buildable without a request (the worker has none)."""
    base = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=(base.path + language_root(language)) or "/",
        url_scheme=base.scheme or "https",
    )
    return adapter.build(endpoint, values, force_external=True)


def supporter_links(signature: Signature) -> dict[str, str]:
    """The personal links every email carries."""
    language = signature.language
    return {
        "confirm_url": external_url("links.confirm", language, token=tokens.make_token(signature, tokens.CONFIRM)),
        "withdraw_url": external_url("links.withdraw", language, token=tokens.make_token(signature, tokens.WITHDRAW)),
        "unsubscribe_url": external_url(
            "links.unsubscribe", language, token=tokens.make_token(signature, tokens.UNSUBSCRIBE)
        ),
        "privacy_url": external_url("public.privacy", language),
        "campaign_url": external_url("public.index", language),
    }


MAIL_POLICY = policy.default.clone(max_line_length=998)


def build_message(kind: str, signature: Signature) -> EmailMessage:
    """A plain-text and HTML email of the given kind for one supporter, in their language."""
    with force_locale(signature.language):
        return _build_message(kind, signature)


def _build_message(kind: str, signature: Signature) -> EmailMessage:
    person = signature.person()  # decrypted only here, while the message is built
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
    # Lines up to RFC 5322's 998 characters: the default 78 folded the List-Unsubscribe URL
    # into RFC 2047 encoded words, which mail clients do not read as a URL, and broke links.
    message = EmailMessage(policy=MAIL_POLICY)
    sender = current_app.config["MAIL_SENDER"]
    message["Subject"] = str(SUBJECTS[kind])
    # The sender's address, under the campaign's name in the supporter's language.
    message["From"] = Address(str(SENDER_NAME), addr_spec=parseaddr(sender)[1])
    # The address alone: a name typed by whoever signed never enters a header.
    message["To"] = wire_address(person.email, current_app.config["MAIL_SMTPUTF8"])
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=_domain_of(sender))
    # RFC 8058 one-click unsubscribe: mail clients POST to this URL, no page in between.
    message["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(render_template(f"email/{kind}.txt", **context))
    message.add_alternative(render_template(f"email/{kind}.html", **context), subtype="html")
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


def _may_greet_by_name(kind: str, signature: Signature) -> bool:
    return kind != "confirm" and signature.status == CONFIRMED


def _domain_of(address: str) -> str:
    """The domain part of a From address, for Message-IDs."""
    return parseaddr(address)[1].rpartition("@")[2] or "localhost"


class Transport:
    """Sends EmailMessages; used as a context manager around a batch."""

    def __enter__(self) -> "Transport":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def send(self, message: EmailMessage) -> None:
        raise NotImplementedError


class SmtpTransport(Transport):
    """One SMTP connection per batch, STARTTLS or TLS and login as configured."""

    def __init__(self, config) -> None:
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def __exit__(self, *exc) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.connection = None

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        host, port, timeout = config["MAIL_SMTP_HOST"], config["MAIL_SMTP_PORT"], config["MAIL_SMTP_TIMEOUT"]
        if config["MAIL_SMTP_SSL"]:
            connection = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(host, port, timeout=timeout)
            if config["MAIL_SMTP_STARTTLS"]:
                connection.starttls(context=ssl.create_default_context())
        if config["MAIL_SMTP_USER"]:
            connection.login(config["MAIL_SMTP_USER"], config["MAIL_SMTP_PASSWORD"] or "")
        return connection

    def send(self, message: EmailMessage) -> None:
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.send_message(message)
        except smtplib.SMTPNotSupportedError:
            # Raised before anything is sent, for a non-ASCII address the server cannot take.
            raise PermanentMailError("the mail server does not offer SMTPUTF8") from None
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if all(code >= 500 for code in codes):
                raise PermanentMailError(f"recipient refused: {codes}") from None
            raise
        except smtplib.SMTPResponseException as error:
            if error.smtp_code >= 500:
                raise PermanentMailError(f"{error.smtp_code} {error.smtp_error!r}") from None
            self.__exit__()
            raise
        except OSError:
            self.__exit__()  # the next message reconnects
            raise


class FileTransport(Transport):
    """Development: write each message to a folder and print its links."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        path = self.folder / f"{stamp}-{secrets.token_hex(4)}.eml"
        # UTF-8 headers, as an SMTPUTF8 server would receive them (any address fits).
        # Owner-only from the start: the file holds a supporter's address and links.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(message.as_bytes(policy=MAIL_POLICY.clone(utf8=True)))
        text = message.get_body(preferencelist=("plain",)).get_content()
        links = [line.strip() for line in text.splitlines() if line.strip().startswith("http")]
        print(f"[mail] {message['Subject']} -> {path}", *links, sep="\n    ", flush=True)


def transport_from_config() -> Transport:
    """SMTP if configured, else the development folder."""
    config = current_app.config
    if config["MAIL_SMTP_HOST"]:
        return SmtpTransport(config)
    folder = config["MAIL_OUTBOX_DIR"] or str(Path(current_app.instance_path) / "outbox")
    return FileTransport(Path(folder))
