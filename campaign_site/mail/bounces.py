"""`flask mail-bounces`: read the bounce mailbox (a maildir, or a folder over IMAP), apply
each delivery or complaint report to the signature it is about (petition/mail_feedback.py),
and move it out of the way: maildir into cur/ with the S flag; IMAP flagged \\Seen and moved
to PROCESSED_FOLDER (created if missing). A report that cannot be read stays where it is
and is counted; a second run finds nothing new, so it changes nothing.
"""

import imaplib
import mailbox
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from campaign_site.mail.bounce_reports import Finding, UnreadableReport, read_report
from campaign_site.petition import mail_feedback
from campaign_site.petition.mail_feedback import Feedback

PROCESSED_FOLDER = "Processed"


@dataclass
class BounceSummary:
    read: int = 0
    hard: int = 0
    soft: int = 0
    complaints: int = 0
    unreadable: int = 0

    def line(self) -> str:
        return (
            f"mail-bounces: read {self.read}, hard {self.hard}, soft {self.soft}, "
            f"complaints {self.complaints}, unreadable {self.unreadable}"
        )


class ReportSource(Protocol):
    def reports(self) -> Iterator[tuple[str, bytes]]: ...

    def processed(self, key: str) -> None: ...


def process(source: ReportSource) -> BounceSummary:
    """Read every waiting report of a source, apply it, and move it away."""
    summary = BounceSummary()
    for key, raw in source.reports():
        summary.read += 1
        try:
            findings = read_report(raw)
        except UnreadableReport:
            summary.unreadable += 1
            continue
        for finding in findings:
            _apply(finding)
            summary.hard += finding.feedback == Feedback.HARD
            summary.soft += finding.feedback == Feedback.SOFT
            summary.complaints += finding.feedback == Feedback.COMPLAINT
        source.processed(key)
    return summary


def _apply(finding: Finding) -> None:
    """By the message's token first; by the reported address (keyed index) second."""
    signature_id = mail_feedback.signature_for_token(finding.token) if finding.token else None
    if signature_id is None and finding.address:
        signature_id = mail_feedback.signature_for_address(finding.address)
    if signature_id is not None:
        mail_feedback.record(signature_id, finding.feedback)


class MaildirSource:
    """A maildir: reports in new/, and in cur/ without the S (seen) flag."""

    def __init__(self, folder: Path) -> None:
        if not (folder / "new").is_dir() or not (folder / "cur").is_dir():
            raise ValueError(f"{folder} is not a maildir (no new/ and cur/)")
        self.maildir = mailbox.Maildir(folder, factory=None, create=False)

    def reports(self) -> Iterator[tuple[str, bytes]]:
        for key in sorted(self.maildir.keys()):
            message = self.maildir.get_message(key)
            if message.get_subdir() == "new" or "S" not in message.get_flags():
                yield key, self.maildir.get_bytes(key)

    def processed(self, key: str) -> None:
        message = self.maildir.get_message(key)
        message.set_subdir("cur")
        message.add_flag("S")
        self.maildir[key] = message


class ImapSource:
    """A folder over IMAP: imaps://USER:PASS@HOST[:PORT]/MAILBOX (imap:// without TLS, for
    a server on the same machine or a test)."""

    def __init__(self, url: str, timeout: float = 30) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname:
            raise ValueError("the IMAP address must look like imaps://USER:PASS@HOST/MAILBOX")
        self.url, self.timeout = parts, timeout
        self.folder = unquote(parts.path.lstrip("/")) or "INBOX"
        self.client: imaplib.IMAP4 | None = None

    @contextmanager
    def connected(self) -> Iterator["ImapSource"]:
        parts = self.url
        if parts.scheme == "imaps":
            context = ssl.create_default_context()
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                parts.hostname or "", parts.port or 993, ssl_context=context, timeout=self.timeout
            )
        else:
            client = imaplib.IMAP4(parts.hostname or "", parts.port or 143, timeout=self.timeout)
        try:
            client.login(unquote(parts.username or ""), unquote(parts.password or ""))
            _ok(client.select(_quoted(self.folder)), "select the mailbox")
            self.client = client
            yield self
            client.expunge()
        finally:
            self.client = None
            try:
                client.logout()
            except (OSError, imaplib.IMAP4.error):
                pass

    def reports(self) -> Iterator[tuple[str, bytes]]:
        client = self._client()
        found = _ok(client.uid("SEARCH", "ALL"), "search the mailbox")
        for uid in (found[0] or b"").split():
            fetched = _ok(client.uid("FETCH", uid, "(BODY.PEEK[])"), "fetch a report")
            raw = next((item[1] for item in fetched if isinstance(item, tuple)), None)
            if raw is not None:
                yield uid.decode(), raw

    def processed(self, key: str) -> None:
        client = self._client()
        _ok(client.uid("STORE", key, "+FLAGS", "(\\Seen)"), "flag a report seen")
        client.create(_quoted(PROCESSED_FOLDER))  # refused if it exists: that is fine
        if b"MOVE" in b" ".join(_ok(client.capability(), "ask the capabilities")):
            _ok(client.uid("MOVE", key, _quoted(PROCESSED_FOLDER)), "move a report")
        else:
            _ok(client.uid("COPY", key, _quoted(PROCESSED_FOLDER)), "copy a report")
            _ok(client.uid("STORE", key, "+FLAGS", "(\\Deleted)"), "delete a moved report")

    def _client(self) -> imaplib.IMAP4:
        if self.client is None:
            raise RuntimeError("ImapSource used outside connected()")
        return self.client


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(answer: tuple[str, list], doing: str) -> list:
    status, data = answer
    if status != "OK":
        raise imaplib.IMAP4.error(f"the IMAP server would not {doing}: {status}")
    return data
