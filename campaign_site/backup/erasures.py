"""Erasures a restore must not undo: the ledger's entries newer than a backup, counted
against its payload by `backup verify` and erased again by `backup restore` through the
petition's own erasure (count, tallies and count shards as a withdrawal keeps them)."""

from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from campaign_site.backup.archive import Manifest
from campaign_site.crypto.keyrings import blind_keyring
from campaign_site.models import UTCDateTime
from campaign_site.petition import erasure_ledger, signing
from campaign_site.petition.erasure_ledger import LedgerReading

# Entries this much older than the backup are looked at too: a withdrawal written down just
# before the copy began may have committed after it, and hosts' clocks differ a little. An
# entry whose signature the backup no longer holds finds nothing, so a wide margin is free.
IN_FLIGHT_MARGIN = timedelta(minutes=10)


def to_reapply(manifest: Manifest, payload: Path) -> list[str]:
    """verify: how many signatures in the payload the ledger would erase after a restore."""
    reading = _reading(manifest)
    payload_rows = sa.table(
        "signature",
        sa.column("id", sa.Integer),
        sa.column("email_hash", sa.LargeBinary),
        sa.column("signed_at", UTCDateTime()),
    )
    engine = sa.create_engine(f"sqlite:///{payload}")
    erased: set[int] = set()
    try:
        with engine.connect() as connection:
            if reading.entries and "signature" in sa.inspect(connection).get_table_names():
                for entry in reading.entries:
                    found = sa.select(payload_rows.c.id).where(
                        erasure_ledger.matching(
                            entry,
                            payload_rows.c.id,
                            payload_rows.c.email_hash,
                            payload_rows.c.signed_at,
                        )
                    )
                    erased.update(connection.scalars(found))
    finally:
        engine.dispose()
    return [*_notes(reading), f"erasures to re-apply: {len(erased)}"]


def reapply(manifest: Manifest) -> list[str]:
    """restore: erase again every signature the ledger erased after the backup was taken."""
    reading = _reading(manifest)
    erased = sum(signing.reapply_erasure(entry) for entry in reading.entries)
    return [*_notes(reading), f"erasures re-applied: {erased}"]


def _reading(manifest: Manifest) -> LedgerReading:
    since = datetime.fromisoformat(manifest.created_at) - IN_FLIGHT_MARGIN
    return erasure_ledger.read_ledger(erasure_ledger.folder_of(current_app), since)


def _notes(reading: LedgerReading) -> list[str]:
    """What the operator should know before trusting the figure."""
    folder = erasure_ledger.folder_of(current_app)
    notes = [f"erasure ledger: {reading.files} host file(s) in {folder}"]
    if not reading.files:
        notes[0] += (
            " (none: if this is not the site's machine, copy the ledger here first, "
            "docs/backups.md)"
        )
    notes += reading.problems()
    configured = set(blind_keyring().ids)
    unknown = sorted(
        {entry.key_id.hex() for entry in reading.entries} - {k.hex() for k in configured}
    )
    if unknown:
        notes.append(
            f"erasure ledger: entries under BLIND_INDEX_KEY id {', '.join(unknown)}, which is "
            "not configured: those are matched by signature id only"
        )
    return notes
