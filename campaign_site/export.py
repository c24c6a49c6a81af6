"""Signatures as CSV for spreadsheets: RFC 4180, UTF-8 with BOM, no formula injection."""

import csv
import io
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select, update

from .database import write_transaction
from .extensions import db
from .models import CONFIRMED, PENDING, ExportAudit, Signature

HEADER = [
    "id", "status", "signed_at_utc", "confirmed_at_utc", "name", "email",
    "country", "postcode_city", "keep_informed", "show_name",
]
# Which signatures an export holds; confirmed ones unless the admin asks otherwise.
STATUS_FILTERS = {"confirmed": [CONFIRMED], "pending": [PENDING], "all": [CONFIRMED, PENDING]}
BATCH_SIZE = 2000
# Excel and friends read a cell starting with these as a formula (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def audited_signatures_csv(admin_email: str, status_filter: str) -> Iterator[str]:
    """The export, recorded in the audit log first; the row count is added when it completes."""
    audit_id = _start_audit(admin_email, status_filter)
    rows = 0
    for chunk, rows in signatures_csv(status_filter):
        yield chunk
    _finish_audit(audit_id, rows)


def signatures_csv(status_filter: str = "confirmed") -> Iterator[tuple[str, int]]:
    """(chunk of CSV text, rows so far), one chunk per batch of rows."""
    statuses = STATUS_FILTERS[status_filter]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # The byte-order mark tells Excel the file is UTF-8, so Cyrillic names survive.
    buffer.write("\ufeff")
    writer.writerow(HEADER)
    rows = 0
    for batch in _signature_batches(statuses):
        writer.writerows(_csv_row(row) for row in batch)
        rows += len(batch)
        yield _drain(buffer), rows
    yield _drain(buffer), rows


def _start_audit(admin_email: str, status_filter: str) -> int:
    """Record who is exporting what, before any row leaves the database."""
    with write_transaction(db.session):
        audit = ExportAudit(admin_email=admin_email, status_filter=status_filter)
        db.session.add(audit)
        db.session.flush()
        return audit.id


def _finish_audit(audit_id: int, rows: int) -> None:
    """Add the row count to the audit record of a completed export."""
    with write_transaction(db.session):
        db.session.execute(update(ExportAudit).where(ExportAudit.id == audit_id).values(rows=rows))


def recent_exports(limit: int = 20) -> list[ExportAudit]:
    """The latest exports, newest first, for the dashboard."""
    return list(
        db.session.scalars(select(ExportAudit).order_by(ExportAudit.id.desc()).limit(limit))
    )


def _signature_batches(statuses: list[str]):
    """Rows in id order, fetched in batches (a server-side cursor on PostgreSQL)."""
    statement = select(
        Signature.id,
        Signature.status,
        Signature.signed_at,
        Signature.confirmed_at,
        Signature.name,
        Signature.email,
        Signature.country,
        Signature.postcode_city,
        Signature.keep_informed,
        Signature.show_name,
    ).where(Signature.status.in_(statuses)).order_by(Signature.id)
    result = db.session.execute(statement.execution_options(yield_per=BATCH_SIZE))
    yield from result.partitions()


def _csv_row(row) -> list[str | int]:
    """One signature as cells, every text cell defused."""
    return [
        row.id,
        row.status,
        _iso_utc(row.signed_at),
        _iso_utc(row.confirmed_at) if row.confirmed_at else "",
        defuse_formula(row.name),
        defuse_formula(row.email),
        row.country,
        defuse_formula(row.postcode_city or ""),
        "yes" if row.keep_informed else "no",
        "yes" if row.show_name else "no",
    ]


def _iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, to the second."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def defuse_formula(value: str) -> str:
    """Prefix a quote to text a spreadsheet would run as a formula."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def _drain(buffer: io.StringIO) -> str:
    """Take what the writer has written so far and empty the buffer."""
    chunk = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return chunk
