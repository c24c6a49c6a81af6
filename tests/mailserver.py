"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

import email
import email.policy
import socket
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class Inbox:
    """aiosmtpd handler: parses each delivered message and keeps it."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []  # as received, to check what parsing would hide
        self.recipients: list[list[str]] = []  # each message's RCPT TO addresses, as sent
        self.mail_options: list[list[str]] = []  # e.g. SMTPUTF8, per message
        self.senders: list[str] = []  # each message's MAIL FROM (its return path)
        self.refuse_with: str | None = None  # e.g. "550 No such user" to refuse recipients

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_with:
            return self.refuse_with.format(address=address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)
        self.raw.append(envelope.content)
        self.recipients.append(list(envelope.rcpt_tos))
        self.mail_options.append(list(envelope.mail_options))
        self.senders.append(envelope.mail_from)
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["To"]]


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MailServer:
    """Starts and stops the SMTP server; the port stays the same across restarts."""

    def __init__(self, smtputf8: bool = False) -> None:
        self.smtputf8 = smtputf8  # whether the server offers SMTPUTF8 (RFC 6531)
        self.port = 0  # chosen by the first start
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        """Listen; the first start picks a port, trying again if another process took it
        between being seen free and the bind (aiosmtpd needs the number up front)."""
        for _ in range(20 if self.port == 0 else 1):
            port = self.port or _unused_port()
            controller = Controller(
                self.inbox, hostname="127.0.0.1", port=port, enable_SMTPUTF8=self.smtputf8
            )
            try:
                controller.start()
            except OSError:
                continue
            self.port, self.controller = port, controller
            return
        raise OSError(f"the test SMTP server could not listen (port {self.port or 'any'})")

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def settings(self) -> dict:
        return {
            "MAIL_SMTP_HOST": "127.0.0.1",
            "MAIL_SMTP_PORT": self.port,
            "MAIL_SMTP_STARTTLS": False,
            "MAIL_SMTP_TIMEOUT": 3,
        }
