"""Alerts to the campaign's owners (an export of personal data, an export waiting for
approval), sent at once through the configured transport.

Not queued in the outbox: every outbox row belongs to a signature and is built from it by
the worker, and an alert should leave even while the worker is stopped. A failure is logged
and never raised, so the export it reports goes on; the audit log and the dashboard still
show it. Plain text that never holds a supporter's data.
"""

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from flask import current_app

from campaign_site.mail.transports import MAIL_POLICY, transport_from_config
from campaign_site.models import utcnow

SUBJECT_PREFIX = "[Justice for Sergei admin] "


def send_alert(recipients: list[str], subject: str, body: str) -> int:
    """Email each recipient (one message each); how many went out."""
    sent = 0
    try:
        with transport_from_config() as transport:
            for recipient in recipients:
                transport.send(_message(recipient, subject, body))
                sent += 1
    except Exception:  # logged: no mail problem may stop the export it reports
        current_app.logger.exception(
            "admin alert %r reached %d of %d owners", subject, sent, len(recipients)
        )
    return sent


def _message(recipient: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage(policy=MAIL_POLICY)
    sender = current_app.config["MAIL_SENDER"]
    message["Subject"] = SUBJECT_PREFIX + subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    message.set_content(body)
    return message


def send_test_email(recipient: str) -> str:
    """Send a short test email the way every email goes (transport_from_config); "" when the
    mail server took it, else what went wrong, for the launch checklist to show."""
    body = (
        "This is a test email from the petition site's admin (Ready to launch?).\n"
        "If you read this, the site can send email."
    )
    try:
        with transport_from_config() as transport:
            transport.send(_message(recipient, "Test email", body))
    except Exception as error:  # noqa: BLE001 -- any failure is what the admin must see
        current_app.logger.warning("test email failed: %s", type(error).__name__)
        return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return ""
