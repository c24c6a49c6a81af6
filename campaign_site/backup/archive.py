"""The backup file: a text header, then a SQLite database holding every table.

    CAMPAIGN-SITE-BACKUP 1\n
    <manifest: one line of JSON>\n
    <SHA-256, in hex, of the manifest line and the payload>\n
    <payload: a SQLite database file>

SQLite as the payload because it holds typed rows of any table, opens anywhere without a
server, and is what both engines can be read into and out of; the checksum covers the
manifest too, so neither can be altered unnoticed. A file is written once, owner-only
(0600), and never overwritten.
"""

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import IO, Any

MAGIC = b"CAMPAIGN-SITE-BACKUP 1\n"
CHUNK = 1 << 20


class BackupError(Exception):
    """Why a backup cannot be made, read or restored; the message is for the operator."""


@dataclass
class Manifest:
    """What a backup holds: never a key, never a supporter's data."""

    created_at: str  # ISO 8601, UTC
    engine: str  # the database it was taken from: sqlite or postgresql
    revision: str  # the Alembic schema revision
    tables: dict[str, int]  # rows per table
    key_ids: dict[str, list[str]] = field(
        default_factory=dict
    )  # setting -> ids (hex) the rows need
    payload_bytes: int = 0
    format: int = 1

    def rows_summary(self) -> str:
        """'admin_user 1, signature 1,000, ...': what the backup holds, for people."""
        return ", ".join(f"{table} {rows:,}" for table, rows in sorted(self.tables.items()))

    def to_line(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode() + b"\n"

    @classmethod
    def from_line(cls, line: bytes) -> "Manifest":
        try:
            data: dict[str, Any] = json.loads(line)
            return cls(**data)
        except (ValueError, TypeError) as error:
            raise BackupError(
                f"the manifest cannot be read ({error}): not a backup, or altered"
            ) from None


def write_backup(path: Path, manifest: Manifest, payload: Path) -> None:
    """Write the file at path (which must not exist): header, checksum, payload."""
    manifest.payload_bytes = payload.stat().st_size
    line = manifest.to_line()
    digest = hashlib.sha256(line)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{path} exists; a backup is never written over another file") from None
    except OSError as error:
        raise BackupError(f"cannot write {path}: {error.strerror}") from None
    try:
        with os.fdopen(descriptor, "wb") as out, payload.open("rb") as source:
            # One pass over the payload: a placeholder for the checksum, filled in at the end.
            out.write(MAGIC + line)
            checksum_at = out.tell()
            out.write(b"0" * 64 + b"\n")
            _copy_hashing(source, out, digest)
            out.seek(checksum_at)
            out.write(digest.hexdigest().encode())
            out.flush()
            os.fsync(out.fileno())
    except OSError as error:
        path.unlink(missing_ok=True)  # never leave half a backup that looks like one
        raise BackupError(
            f"writing {path} failed: {error.strerror or error}; nothing was kept"
        ) from None


def _copy_hashing(source: IO[bytes], out: IO[bytes], digest: Any) -> None:
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        out.write(chunk)


@contextmanager
def opened_backup(path: Path) -> Iterator[tuple[Manifest, Path]]:
    """The manifest and the payload (as a temporary SQLite file), after checking the
    checksum over the whole file; BackupError for anything that is not an intact backup."""
    try:
        source = path.open("rb")
    except OSError as error:
        raise BackupError(f"cannot read {path}: {error.strerror}") from None
    with source, TemporaryDirectory(prefix="campaign-backup-") as folder:
        manifest = _read_header(source)
        payload = Path(folder) / "payload.db"
        _copy_checked(source, payload, manifest)
        yield manifest, payload


def _read_header(source: IO[bytes]) -> Manifest:
    if source.read(len(MAGIC)) != MAGIC:
        raise BackupError("this file is not a campaign_site backup (its first line is wrong)")
    line = source.readline(1 << 20)
    manifest = Manifest.from_line(line)
    manifest._line = line  # type: ignore[attr-defined]  # hashed with the payload
    manifest._checksum = source.readline(100).strip().decode(errors="replace")  # type: ignore[attr-defined]
    return manifest


def _copy_checked(source: IO[bytes], payload: Path, manifest: Manifest) -> None:
    digest, size = hashlib.sha256(manifest._line), 0  # type: ignore[attr-defined]
    with payload.open("wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if size != manifest.payload_bytes:
        raise BackupError(
            f"the file is truncated or padded: {size:,} bytes of data, the manifest says {manifest.payload_bytes:,}"
        )
    if digest.hexdigest() != manifest._checksum:  # type: ignore[attr-defined]
        raise BackupError("the checksum does not match: the file was altered or damaged")
