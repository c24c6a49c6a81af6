"""The ways an email leaves: SMTP when MAIL_SMTP_HOST is set; otherwise each message is
written as an .eml file in instance/outbox/ and its links are printed, so development needs
no mail server."""

import email
import os
import secrets
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import cast

from flask import current_app

from campaign_site.models import utcnow

# Lines up to RFC 5322's 998 characters (see messages.py: long List-Unsubscribe URLs).
MAIL_POLICY = policy.default.clone(max_line_length=998)


class PermanentMailError(Exception):
    """The message can never go out as it is (no such mailbox, an address we cannot send to)."""


class Transport:
    """Sends EmailMessages; used as a context manager around a batch."""

    def __enter__(self) -> "Transport":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def send(self, message: EmailMessage, return_path: str | None = None) -> None:
        """Send a message; return_path is its envelope sender (SMTP MAIL FROM), by default
        the From address (mail/return_path.py gives supporters' mail a VERP one)."""
        raise NotImplementedError

    def send_raw(self, sender: str, recipient: str, data: bytes) -> None:
        """A message already written as bytes (CRLF line ends): campaign updates, which
        would spend most of their time in the email package otherwise. sender is the
        envelope sender (the return path)."""
        message = cast(EmailMessage, email.message_from_bytes(data, policy=MAIL_POLICY))
        self.send(message, return_path=sender)


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
        host, port, timeout = (
            config["MAIL_SMTP_HOST"],
            config["MAIL_SMTP_PORT"],
            config["MAIL_SMTP_TIMEOUT"],
        )
        if config["MAIL_SMTP_SSL"]:
            connection = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            connection = smtplib.SMTP(host, port, timeout=timeout)
            if config["MAIL_SMTP_STARTTLS"]:
                connection.starttls(context=ssl.create_default_context())
        if config["MAIL_SMTP_USER"]:
            connection.login(config["MAIL_SMTP_USER"], config["MAIL_SMTP_PASSWORD"] or "")
        return connection

    def send(self, message: EmailMessage, return_path: str | None = None) -> None:
        with self._mapped_errors():
            self._connected().send_message(message, from_addr=return_path)

    def send_raw(self, sender: str, recipient: str, data: bytes) -> None:
        with self._mapped_errors():
            self._connected().sendmail(sender, [recipient], data)

    def _connected(self) -> smtplib.SMTP:
        if self.connection is None:
            self.connection = self._connect()
        return self.connection

    @contextmanager
    def _mapped_errors(self) -> Iterator[None]:
        """The server's answers as the outbox reads them: permanent (5xx) or try again."""
        try:
            yield
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

    def send(self, message: EmailMessage, return_path: str | None = None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        path = self.folder / f"{stamp}-{secrets.token_hex(4)}.eml"
        # UTF-8 headers, as an SMTPUTF8 server would receive them (any address fits).
        # Owner-only from the start: the file holds a supporter's address and links.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            if return_path:  # as the receiving server would add it, so it can be seen
                file.write(f"Return-Path: <{return_path}>\n".encode())
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
