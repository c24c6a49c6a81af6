"""Signatures as CSV for spreadsheets: RFC 4180, UTF-8 with BOM, no formula injection."""

from collections.abc import Iterator

from sqlalchemy import String, select, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from campaign_site.crypto.keyrings import data_keyring
from campaign_site.crypto.sealed_box import LEGACY_FIELDS, SEPARATOR, open_joined
from campaign_site.database import write_transaction
from campaign_site.extensions import db
from campaign_site.models import CONFIRMED, PENDING, ExportAudit, Signature

HEADER = [
    "id", "status", "signed_at_utc", "confirmed_at_utc", "given_name", "family_name", "email",
    "country", "postcode_city", "keep_informed", "show_name", "language", "review_marks",
]
# Which signatures an export holds; confirmed ones unless the admin asks otherwise.
# "all" is every row: a signature is pending or confirmed until it is erased.
STATUS_FILTERS = {"confirmed": CONFIRMED, "pending": PENDING, "all": None}
BATCH_SIZE = 10000
LINE_END = "\r\n"  # RFC 4180
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
    # The byte-order mark tells Excel the file is UTF-8, so Cyrillic names survive.
    header = "\ufeff" + ",".join(HEADER) + LINE_END
    yield header, 0
    rows = 0
    keyring = data_keyring()
    for batch in _row_batches(STATUS_FILTERS[status_filter]):
        rows += len(batch)
        yield "".join([_csv_line(row, keyring) for row in batch]), rows


def _csv_line(row: tuple, keyring) -> str:
    """One CSV line from a row of plain columns and the decrypted personal fields.

    The personal fields are quoted (RFC 4180) in one pass over the decrypted text; a field a
    spreadsheet would run as a formula (OWASP CSV injection) takes the slower path.
    Timestamps arrive as UTC text 'YYYY-MM-DD?HH:MM:SS...' and are cut, never parsed.
    """
    row_id, status, signed_at, confirmed_at, box, country, keep_informed, show_name, language, marks = row
    fields = open_joined(box, keyring).replace('"', '""').split(SEPARATOR)
    if len(fields) == LEGACY_FIELDS:  # sealed before two name fields: no given name known
        fields.insert(0, "")
    given, family, email, place = fields
    if (  # spelled out: any() over a generator cost 0.3 us a row (15% of the Python side)
        given.startswith(FORMULA_TRIGGERS)
        or family.startswith(FORMULA_TRIGGERS)
        or email.startswith(FORMULA_TRIGGERS)
        or place.startswith(FORMULA_TRIGGERS)
    ):
        given, family, email, place = (_defused(field) for field in fields)
    confirmed = f"{confirmed_at[:10]}T{confirmed_at[11:19]}Z" if confirmed_at else ""
    return (
        f'{row_id},{status},{signed_at[:10]}T{signed_at[11:19]}Z,{confirmed},"{given}","{family}","{email}",'
        f'{country},"{place}",{YES_NO[keep_informed]},{YES_NO[show_name]},{language},"{marks}"{LINE_END}'
    )


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


def _row_batches(status: str | None):
    """Rows of plain columns and the sealed personal data, in id order.

    Python formats the line: it has to touch every row to decrypt it anyway, and cutting
    timestamp text in the same f-string costs less than SQLite's string functions (3.2 vs
    3.9 us a row, measured). Timestamps come as UTC text, never as datetimes: parsing them
    per row made an earlier export 13x slower than `sqlite3 -csv` (benchmarks/RESULTS.md).
    """
    statement = select(
        Signature.id,
        Signature.status,
        utc_text(Signature.signed_at),
        utc_text(Signature.confirmed_at),
        Signature.personal,
        Signature.country,
        Signature.keep_informed,
        Signature.show_name,
        Signature.language,
        Signature.review_marks,  # our own vocabulary: no quote or formula character
    ).order_by(Signature.id)
    if status is not None:
        statement = statement.where(Signature.status == status)  # ix_signature_status_id
    yield from _fetch_in_batches(statement)


def _fetch_in_batches(statement) -> Iterator[list[tuple]]:
    """Rows of statement from a plain DB-API cursor, BATCH_SIZE at a time.

    Rows stay plain tuples: SQLAlchemy's per-row result machinery cost a fifth of the
    export's time and adds nothing here. PostgreSQL gets a named, server-side cursor, so rows
    stream instead of the whole result landing in memory. Still parameterized: the compiled
    statement's SQL and its bound values go to the driver separately.
    """
    connection = db.session.connection()  # inside the session's transaction
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup)
    raw = connection.connection
    if connection.dialect.name == "postgresql":
        cursor = raw.cursor(name="signatures_export")
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(str(compiled), params)
        while batch := cursor.fetchmany(BATCH_SIZE):
            yield batch
    finally:
        cursor.close()


class utc_text(FunctionElement):
    """A UTC timestamp as text starting 'YYYY-MM-DD HH:MM:SS' (NULL stays NULL)."""

    type = String()
    inherit_cache = True


@compiles(utc_text, "sqlite")
def _utc_text_sqlite(element, compiler, **kw):
    # Stored by SQLAlchemy as 'YYYY-MM-DD HH:MM:SS.ffffff', already in UTC (UTCDateTime).
    return compiler.process(element.clauses, **kw)


@compiles(utc_text, "postgresql")
def _utc_text_postgresql(element, compiler, **kw):
    # In UTC whatever the session's TimeZone; text, so the driver builds no datetime.
    column = compiler.process(element.clauses, **kw)
    return "to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')" % column
