"""The erasure ledger: every withdrawal and erasure written down on disk before the database
forgets the signature, so restoring an older backup can erase that supporter again.

One file per host in ERASURE_LEDGER_DIR (`<hostname>.jsonl`), one JSON line per erasure,
holding no personal data: when, the signature's id, and the mailbox's blind index (its key
id in front, as the signature table stores it). Lines are appended with O_APPEND in a single
write under an exclusive lock, then fsynced, so several workers share a file safely.
"""

import fcntl
import json
import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import ColumnElement, and_, or_

from campaign_site.crypto.key_maintenance import blind_key_id_of
from campaign_site.crypto.keyrings import KEY_ID_BYTES
from campaign_site.models import EMAIL_HASH_BYTES

SUFFIX = ".jsonl"
DEFAULT_FOLDER = "erasures"  # under the instance folder
# Who asked: the supporter through their withdraw link, or an admin on their behalf.
BY_SUPPORTER, BY_ADMIN = "supporter", "admin"
MAX_PROBLEMS_SHOWN = 10


class LedgerUnavailable(Exception):
    """The ledger could not be written: the erasure must not happen without its record."""


@dataclass(frozen=True)
class ErasureEntry:
    """One erasure as the ledger holds it."""

    at: datetime  # aware, UTC
    signature_id: int
    mailbox_index: bytes  # key id (4 bytes) | HMAC-SHA256 (32)
    by: str = BY_SUPPORTER

    @property
    def key_id(self) -> bytes:
        return self.mailbox_index[:KEY_ID_BYTES]

    def to_line(self) -> bytes:
        record = {
            "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "signature_id": self.signature_id,
            "key_id": self.key_id.hex(),
            "mailbox_index": self.mailbox_index.hex(),
            "by": self.by,
        }
        return json.dumps(record, sort_keys=True).encode() + b"\n"

    @classmethod
    def from_line(cls, line: bytes) -> "ErasureEntry":
        """ValueError (or KeyError, TypeError) for anything that is not a whole entry."""
        record: dict[str, Any] = json.loads(line)
        at = datetime.fromisoformat(record["at"])
        index = bytes.fromhex(record["mailbox_index"])
        signature_id = record["signature_id"]
        if at.tzinfo is None or len(index) != EMAIL_HASH_BYTES:
            raise ValueError("no time zone, or a mailbox index of the wrong length")
        if not isinstance(signature_id, int) or record.get("key_id") != index[:KEY_ID_BYTES].hex():
            raise ValueError("a signature id that is not a number, or a key id that disagrees")
        return cls(at.astimezone(UTC), signature_id, index, str(record.get("by", BY_SUPPORTER)))


def folder_of(app: Flask) -> Path:
    """ERASURE_LEDGER_DIR, or instance/erasures/."""
    configured = app.config.get("ERASURE_LEDGER_DIR")
    return Path(configured) if configured else Path(app.instance_path) / DEFAULT_FOLDER


def host_file(folder: Path) -> Path:
    """This host's file: hosts behind a load balancer each append to their own."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", socket.gethostname()).strip("._") or "host"
    return folder / f"{name}{SUFFIX}"


def entry_for(
    signature_id: int, mailbox_index: bytes, signed_at: datetime, by: str
) -> ErasureEntry:
    """The entry for erasing a signature now. Never earlier than its signing: an entry
    re-applies to signatures signed before it, and this host's clock may lag the signer's."""
    now = datetime.now(UTC)
    at = max(now, signed_at.astimezone(UTC) + timedelta(microseconds=1))
    return ErasureEntry(at, signature_id, bytes(mailbox_index), by)


def write_down(entry: ErasureEntry) -> None:
    """Append the entry to this host's file and wait until it is on disk."""
    folder = folder_of(current_app)
    try:
        _append(host_file(folder), entry.to_line())
    except OSError as error:
        current_app.logger.error("erasure ledger: cannot append to %s: %s", folder, error)
        raise LedgerUnavailable(f"the erasure ledger in {folder} cannot be written") from None


def _append(path: Path, line: bytes) -> None:
    new = not path.exists()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        # O_APPEND writes one whole line at the end; the lock covers filesystems (NFS) where
        # appends from two machines' workers could still interleave.
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        if os.write(descriptor, line) != len(line):
            raise OSError("the line was only partly written")
        os.fsync(descriptor)
    finally:
        os.close(descriptor)  # releases the lock
    if new:
        _sync_folder(path.parent)  # the new file's name must survive a power cut too


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def check_writable(app: Flask) -> None:
    """At start-up in production: refuse to serve if no erasure could be written down."""
    path = host_file(folder_of(app))
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
    except OSError as error:
        raise RuntimeError(
            f"ERASURE_LEDGER_DIR: cannot write {path} ({error.strerror or error}). Production "
            "needs a folder the site's user can write, so withdrawals survive a restore."
        ) from None


@dataclass
class LedgerReading:
    """What the ledger files hold from a moment on, and the lines that could not be read."""

    entries: list[ErasureEntry] = field(default_factory=list)
    files: int = 0
    unreadable: list[str] = field(default_factory=list)  # "web-1.jsonl line 3"

    def problems(self) -> list[str]:
        """For the operator: which lines were skipped (never their contents)."""
        if not self.unreadable:
            return []
        shown = ", ".join(self.unreadable[:MAX_PROBLEMS_SHOWN])
        more = len(self.unreadable) - MAX_PROBLEMS_SHOWN
        return [
            f"erasure ledger: {len(self.unreadable)} line(s) are not erasure entries and were "
            f"skipped: {shown}" + (f" and {more} more" if more > 0 else "")
        ]


def read_ledger(folder: Path, since: datetime) -> LedgerReading:
    """Every entry of every host's file at or after since, oldest first."""
    reading = LedgerReading()
    for path in sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []:
        reading.files += 1
        for number, line in _lines(path):
            try:
                entry = ErasureEntry.from_line(line)
            except (ValueError, KeyError, TypeError, AttributeError):
                reading.unreadable.append(f"{path.name} line {number}")
                continue
            if entry.at >= since:
                reading.entries.append(entry)
    reading.entries.sort(key=lambda entry: entry.at)
    return reading


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as source:
        for number, line in enumerate(source, start=1):
            if line.strip():
                yield number, line


def matching(
    entry: ErasureEntry,
    signature_id: Any,
    mailbox_index: Any,
    signed_at: Any,
) -> ColumnElement[bool]:
    """SQL for the signatures an entry erases: signed before it, and of its mailbox; or, where
    the row's index is under another blind index key (rotated since) and so cannot be
    compared, the signature with its id. A supporter who signs again after withdrawing
    signs after the entry, so the ledger never takes a new signature away."""
    return and_(
        signed_at < entry.at,
        or_(
            mailbox_index == entry.mailbox_index,
            and_(
                signature_id == entry.signature_id, blind_key_id_of(mailbox_index) != entry.key_id
            ),
        ),
    )
