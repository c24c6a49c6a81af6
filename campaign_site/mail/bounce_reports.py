"""Reading the mail that comes back, with the standard email package: delivery status
notifications (RFC 3464, multipart/report; report-type=delivery-status) and complaint
reports (RFC 5965 ARF, multipart/report; report-type=feedback-report).

Each report gives findings: what happened (mail_feedback.Feedback), the VERP token of the
message it is about (mail/return_path.py) where one is found, and the address it names
(Final-Recipient, Original-Rcpt-To) as the fallback. The address is only ever handed to the
keyed mailbox index; nothing here logs it.
"""

import email
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr
from typing import cast

from campaign_site.mail import return_path
from campaign_site.petition.mail_feedback import Feedback


class UnreadableReport(Exception):
    """Not a delivery or complaint report this can read; kept where it is, and counted."""


@dataclass(frozen=True)
class Finding:
    feedback: Feedback
    token: str | None  # the return path token of the message it is about
    address: str | None  # the recipient it names, for the keyed lookup


# Where the bounce mailbox's server leaves the address a report was sent to: the VERP one.
ENVELOPE_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")


def read_report(raw: bytes) -> list[Finding]:
    """The findings of one report, or UnreadableReport."""
    try:
        message = cast(EmailMessage, email.message_from_bytes(raw, policy=policy.default))
        if message.get_content_type() != "multipart/report":
            raise UnreadableReport("not a multipart/report")
        report_type = str(message.get_param("report-type", "") or "").lower()
        if report_type == "delivery-status":
            return _delivery_status(message)
        if report_type == "feedback-report":
            return [_feedback(message)]
    except (ValueError, TypeError, IndexError, AttributeError, LookupError) as error:
        raise UnreadableReport(f"{type(error).__name__}") from None
    raise UnreadableReport(f"report-type {report_type or 'missing'}")


def _part(message: Message, content_type: str) -> Message | None:
    return next((p for p in message.walk() if p.get_content_type() == content_type), None)


def _envelope_token(message: Message) -> str | None:
    """The token of the address the report was delivered to, or of the returned message's
    return path (a complaint encloses the message as it was delivered, with Return-Path)."""
    for name in ENVELOPE_HEADERS:
        for value in message.get_all(name) or []:
            for _name, address in getaddresses([str(value)]):
                if token := return_path.token_in(address):
                    return token
    original = _original_headers(message)
    if original is not None:
        return return_path.token_in(str(original.get("Return-Path", "")))
    return None


def _original_headers(message: Message) -> Message | None:
    """The returned message's headers: a message/rfc822 part, or text/rfc822-headers."""
    enclosed = _part(message, "message/rfc822")
    if enclosed is not None:
        payload = enclosed.get_payload()
        return payload[0] if isinstance(payload, list) and payload else None
    headers = _part(message, "text/rfc822-headers")
    if headers is not None:
        text = headers.get_payload(decode=True) or b""
        return BytesHeaderParser(policy=policy.default).parsebytes(cast(bytes, text))
    return None


def _delivery_status(message: Message) -> list[Finding]:
    status_part = _part(message, "message/delivery-status")
    if status_part is None:
        raise UnreadableReport("no message/delivery-status part")
    blocks = status_part.get_payload()
    if not isinstance(blocks, list) or len(blocks) < 2:
        raise UnreadableReport("no per-recipient fields")
    token = _envelope_token(message)
    findings = []
    for block in blocks[1:]:  # the first holds the per-message fields
        feedback = _feedback_of(str(block.get("Action", "")), str(block.get("Status", "")))
        if feedback is not None:
            findings.append(Finding(feedback, token, _typed_address(block, "Final-Recipient")))
    return findings


def _feedback_of(action: str, status: str) -> Feedback | None:
    """Status 5.x.x is permanent, 4.x.x temporary; delivered, relayed, expanded: nothing."""
    action, status = action.strip().lower(), status.strip()
    if action not in ("failed", "delayed"):
        return None
    if status.startswith("5."):
        return Feedback.HARD
    if status.startswith("4.") or action == "delayed":
        return Feedback.SOFT
    return Feedback.HARD if action == "failed" else None


def _typed_address(block: Message, name: str) -> str | None:
    """An address field "rfc822; someone@example.org" (or bare) as the address alone."""
    value = str(block.get(name, "") or "")
    address_type, _, address = value.partition(";")
    if not address:
        address, address_type = address_type, "rfc822"
    if address_type.strip().lower() != "rfc822":
        return None
    return parseaddr(address.strip())[1] or None


def _feedback(message: Message) -> Finding:
    report = _part(message, "message/feedback-report")
    if report is None:
        raise UnreadableReport("no message/feedback-report part")
    payload = report.get_payload()
    fields = payload[0] if isinstance(payload, list) and payload else report
    token = return_path.token_in(str(fields.get("Original-Mail-From", "")))
    token = token or _envelope_token(message)
    address = _typed_address(fields, "Original-Rcpt-To")
    if address is None:
        original = _original_headers(message)
        address = parseaddr(str(original.get("To", "")))[1] if original is not None else None
    return Finding(Feedback.COMPLAINT, token, address or None)
