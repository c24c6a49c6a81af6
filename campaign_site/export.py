"""Signatures as CSV for spreadsheets: RFC 4180, UTF-8 with BOM, formulas defused (no CSV
injection), streamed in batches and recorded in the export audit."""

from collections.abc import Iterator
from typing import Any, NamedTuple

from sqlalchemy import String, select, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement

from campaign_site.crypto import key_maintenance
from campaign_site.crypto.keyrings import Keyring, data_keyring
from campaign_site.crypto.sealed_box import person_fields
from campaign_site.database import raw_rows, write_transaction
from campaign_site.extensions import db
from campaign_site.models import ExportAudit, Signature, SignatureStatus


class utc_text(FunctionElement[str]):
    """A UTC timestamp as text starting 'YYYY-MM-DD HH:MM:SS' (NULL stays NULL)."""

    type = String()
    inherit_cache = True


@compiles(utc_text, "sqlite")
def _utc_text_sqlite(element: utc_text, compiler: SQLCompiler, **kw: Any) -> str:
    # Stored by SQLAlchemy as 'YYYY-MM-DD HH:MM:SS.ffffff', already in UTC (UTCDateTime).
    return str(compiler.process(element.clauses, **kw))


@compiles(utc_text, "postgresql")
def _utc_text_postgresql(element: utc_text, compiler: SQLCompiler, **kw: Any) -> str:
    # In UTC whatever the session's TimeZone; text, so the driver builds no datetime.
    column = compiler.process(element.clauses, **kw)
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"


HEADER = [
    "id",
    "status",
    "signed_at_utc",
    "confirmed_at_utc",
    "given_name",
    "family_name",
    "email",
    "country",
    "postcode_city",
    "keep_informed",
    "show_name",
    "language",
    "review_marks",
    "source",  # OSDI referrer_data.source: the link's ?source= or utm_source
    "source_campaign",  # its utm_campaign
    "discreet_mail",  # every email to it is discreet (docs/security.md)
]
# Which signatures an export holds; confirmed ones unless the admin asks otherwise.
# "all" is every row: a signature is pending or confirmed until it is erased.
STATUS_FILTERS = {
    "confirmed": SignatureStatus.CONFIRMED,
    "pending": SignatureStatus.PENDING,
    "invalidated": SignatureStatus.INVALIDATED,
    "all": None,
}
BATCH_SIZE = 10000
LINE_END = "\r\n"  # RFC 4180
# Excel and friends read a cell starting with these as a formula (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_FIRST_CHARACTERS = frozenset(FORMULA_TRIGGERS)  # each trigger is one character


# Where each ExportRow field comes from; the query selects them in ExportRow's order.
EXPORT_COLUMNS: dict[str, Any] = {  # columns and SQL expressions
    "id": Signature.id,
    "status": Signature.status,
    "signed_at": utc_text(Signature.signed_at),
    "confirmed_at": utc_text(Signature.confirmed_at),
    "country": Signature.country,
    "keep_informed": Signature.keep_informed,
    "show_name": Signature.show_name,
    "language": Signature.language,
    "review_marks": Signature.review_marks,
    "source": Signature.source,
    "source_campaign": Signature.source_campaign,
    "discreet_mail": Signature.discreet_mail,
    "identity": Signature.identity,
}


def export_problem() -> str | None:
    """Why an export would break off half-way (rows sealed under a key that is not
    configured), said before the first byte is sent; None when it can run."""
    return key_maintenance.data_key_problem()


def audited_signatures_csv(admin_email: str, status_filter: str) -> Iterator[str]:
    """The export, recorded in the audit log first; the row count is added when it completes."""
    audit_id = _start_audit(admin_email, status_filter)
    rows = 0
    for chunk, rows_so_far in signatures_csv(status_filter):
        yield chunk
        rows = rows_so_far
    _finish_audit(audit_id, rows)


def signatures_csv(status_filter: str = "confirmed") -> Iterator[tuple[str, int]]:
    """(chunk of CSV text, rows so far), one chunk per batch of rows."""
    # The byte-order mark tells Excel the file is UTF-8, so Cyrillic names survive.
    header = "\ufeff" + ",".join(HEADER) + LINE_END
    yield header, 0
    rows = 0
    keyring = data_keyring()
    for batch in _row_batches(STATUS_FILTERS[status_filter]):
        rows += len(batch)
        yield csv_lines(batch, keyring), rows


class ExportRow(NamedTuple):
    """One signature as the export reads it: its plain columns and its sealed box."""

    id: int
    status: str
    signed_at: str  # UTC text 'YYYY-MM-DD HH:MM:SS...' (utc_text below)
    confirmed_at: str | None
    country: str
    keep_informed: bool
    show_name: bool
    language: str
    review_marks: str  # our own vocabulary: no quote or formula character
    source: str | None  # a validated code: letters, digits, "-", "_", ":" only
    source_campaign: str | None
    discreet_mail: bool
    identity: bytes


def csv_line(row: tuple[Any, ...], keyring: Keyring) -> str:
    """One CSV line from a row holding ExportRow's fields in order."""
    return csv_lines([row], keyring)


def csv_lines(rows: list[tuple[Any, ...]], keyring: Keyring) -> str:
    """CSV lines for rows holding ExportRow's fields in order (the query is built from them:
    _row_batches). One loop over a batch, names bound locally: a call and a few global
    lookups per row were a tenth of the export's Python time. Rows are unpacked, not made
    ExportRows, which cost another 0.5 us a row.

    A field a spreadsheet would run as a formula (OWASP CSV injection) takes the slower path.
    Timestamps arrive as UTC text 'YYYY-MM-DD?HH:MM:SS...' and are cut, never parsed.
    """
    lines: list[str] = []
    append, unseal, triggers, yes_no, end = (
        lines.append,
        person_fields,
        FORMULA_FIRST_CHARACTERS,
        YES_NO,
        LINE_END,
    )
    for (
        row_id,
        status,
        signed,
        confirmed,
        country,
        informed,
        shown,
        language,
        marks,
        source,
        campaign,
        discreet,
        identity,
    ) in rows:
        given, family, email, place = unseal(identity, keyring)
        given, family = given.replace('"', '""'), family.replace('"', '""')
        email, place = email.replace('"', '""'), place.replace('"', '""')
        if (  # spelled out, first characters in a set: any() or startswith() cost more per row
            given[:1] in triggers
            or family[:1] in triggers
            or email[:1] in triggers
            or place[:1] in triggers
        ):
            given, family, email, place = (
                _defused(field) for field in (given, family, email, place)
            )
        confirmed = f"{confirmed[:10]}T{confirmed[11:19]}Z" if confirmed else ""
        # Codes hold no quote or comma; only a leading "-" could read as a formula.
        source = ("'" + source if source[:1] == "-" else source) if source else ""
        campaign = ("'" + campaign if campaign[:1] == "-" else campaign) if campaign else ""
        append(
            f'{row_id},{status},{signed[:10]}T{signed[11:19]}Z,{confirmed},"{given}","{family}","{email}",'
            f'{country},"{place}",{yes_no[informed]},{yes_no[shown]},{language},"{marks}",'
            f'"{source}","{campaign}",{yes_no[discreet]}{end}'
        )
    return "".join(lines)


# SQLite hands back 0/1, PostgreSQL False/True: equal keys either way.
YES_NO = {False: "no", True: "yes"}


def _defused(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


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


def _row_batches(status: str | None) -> Iterator[list[tuple[Any, ...]]]:
    """ExportRow values in id order, a batch at a time.

    Python formats the line: it has to touch every row to decrypt it anyway, and cutting
    timestamp text in the same f-string costs less than SQLite's string functions
    (benchmarks/RESULTS.md). Timestamps come as UTC text, never as datetimes: parsing them
    per row made an earlier export many times slower than `sqlite3 -csv`.
    """
    statement = select(*(EXPORT_COLUMNS[field] for field in ExportRow._fields)).order_by(
        Signature.id
    )
    if status is not None:
        # A plain str: raw_rows binds values as they are. Served by ix_signature_status_id.
        statement = statement.where(Signature.status == str(status))
    yield from raw_rows(db.session, statement, BATCH_SIZE)
