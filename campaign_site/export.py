"""Signatures as CSV for spreadsheets: RFC 4180, UTF-8 with BOM, formulas defused (no CSV
injection), streamed in batches and recorded in the export audit."""

from collections.abc import Callable, Iterator
from enum import Enum
from typing import Any, NamedTuple

from sqlalchemy import String, select, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement

from campaign_site.crypto import key_maintenance
from campaign_site.crypto.keyrings import Keyring, data_keyring
from campaign_site.crypto.sealed_box import Person, person_fields
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


class Kind(Enum):
    """How a column's value becomes a CSV field."""

    NUMBER = "number"  # an integer
    WORD = "word"  # our own vocabulary (status, country, language): no quote, comma or formula
    TIME = "time"  # UTC text 'YYYY-MM-DD HH:MM:SS...' cut to ISO 8601 with Z, never parsed
    OPTIONAL_TIME = "optional time"
    YES_NO = "yes/no"
    MARKS = "marks"  # our own vocabulary, quoted
    CODE = "code"  # a validated source code, quoted; a leading "-" is defused
    PERSONAL = "personal"  # a Person field from the sealed box: escaped, quoted, defused


class Column(NamedTuple):
    """One column of the export: its header, how it is written, where its value comes from
    (a column or SQL expression; for a PERSONAL one, the name of the Person field)."""

    header: str
    kind: Kind
    source: Any


# The export's columns, in order: a new column is one line here (and its test).
COLUMNS = (
    Column("id", Kind.NUMBER, Signature.id),
    Column("status", Kind.WORD, Signature.status),
    Column("signed_at_utc", Kind.TIME, utc_text(Signature.signed_at)),
    Column("confirmed_at_utc", Kind.OPTIONAL_TIME, utc_text(Signature.confirmed_at)),
    Column("given_name", Kind.PERSONAL, "given_name"),
    Column("family_name", Kind.PERSONAL, "family_name"),
    Column("email", Kind.PERSONAL, "email"),
    Column("country", Kind.WORD, Signature.country),
    Column("postcode_city", Kind.PERSONAL, "postcode_city"),
    Column("keep_informed", Kind.YES_NO, Signature.keep_informed),
    Column("show_name", Kind.YES_NO, Signature.show_name),
    Column("language", Kind.WORD, Signature.language),
    Column("review_marks", Kind.MARKS, Signature.review_marks),
    Column("source", Kind.CODE, Signature.source),  # OSDI referrer_data.source
    Column("source_campaign", Kind.CODE, Signature.source_campaign),  # its utm_campaign
    Column("discreet_mail", Kind.YES_NO, Signature.discreet_mail),  # docs/security.md
    Column("mail_status", Kind.WORD, Signature.mail_status),  # ok, bounced, complained
)
HEADER = [column.header for column in COLUMNS]
# What the query selects, in order: each column that is not personal, then the sealed box.
SELECTED = (
    *(column.source for column in COLUMNS if column.kind is not Kind.PERSONAL),
    Signature.identity,
)
# Which signatures an export holds; confirmed ones unless the admin asks otherwise.
# "all" is every row: a signature is pending or confirmed until it is erased.
STATUS_FILTERS = {
    "confirmed": SignatureStatus.CONFIRMED,
    "pending": SignatureStatus.PENDING,
    "invalidated": SignatureStatus.INVALIDATED,
    "all": None,
    "test": None,  # staff test signatures (petition/test_signatures.py), only when asked
}
TEST_FILTER = "test"  # every other export leaves the test signatures out
BATCH_SIZE = 10000
LINE_END = "\r\n"  # RFC 4180
# Excel and friends read a cell starting with these as a formula (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_FIRST_CHARACTERS = frozenset(FORMULA_TRIGGERS)  # each trigger is one character


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
    for batch in _row_batches(status_filter):
        rows += len(batch)
        yield csv_lines(batch, keyring), rows


# SQLite hands back 0/1, PostgreSQL False/True: equal keys either way.
YES_NO = {False: "no", True: "yes"}


def _defused(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


# How each kind is written: the field in the line, and a statement run before the line
# ({v} is the value's local name).
_FIELD = {
    Kind.NUMBER: "{{{v}}}",
    Kind.WORD: "{{{v}}}",
    Kind.TIME: "{{{v}[:10]}}T{{{v}[11:19]}}Z",
    Kind.OPTIONAL_TIME: "{{{v}}}",
    Kind.YES_NO: "{{yes_no[{v}]}}",
    Kind.MARKS: '"{{{v}}}"',
    Kind.CODE: '"{{{v}}}"',
    Kind.PERSONAL: '"{{{v}}}"',
}
_BEFORE = {
    Kind.OPTIONAL_TIME: "{v} = f'{{{v}[:10]}}T{{{v}[11:19]}}Z' if {v} else ''",
    # Codes hold no quote or comma; only a leading "-" could read as a formula.
    Kind.CODE: "{v} = (\"'\" + {v} if {v}[:1] == '-' else {v}) if {v} else ''",
}


def csv_lines_source() -> str:
    """The source of csv_lines, written out from COLUMNS: one loop over a batch, each row
    unpacked into locals and written by one f-string. A call and a few global lookups per row
    were a tenth of the export's Python time, so the fast path is generated from the
    declaration (as dataclasses generate __init__) instead of looping over it per row.

    A personal field a spreadsheet would run as a formula (OWASP CSV injection) takes the
    slower path. Timestamps arrive as UTC text 'YYYY-MM-DD?HH:MM:SS...' and are cut, never
    parsed."""
    local = {
        index: f"p_{column.source}" if column.kind is Kind.PERSONAL else f"c{index}"
        for index, column in enumerate(COLUMNS)
    }
    selected = [local[i] for i, c in enumerate(COLUMNS) if c.kind is not Kind.PERSONAL]
    personal = [local[i] for i, c in enumerate(COLUMNS) if c.kind is Kind.PERSONAL]
    unsealed = [f"p_{name}" if f"p_{name}" in personal else "_" for name in Person._fields]
    before = [
        _BEFORE[c.kind].format(v=local[i]) for i, c in enumerate(COLUMNS) if c.kind in _BEFORE
    ]
    line = ",".join(_FIELD[c.kind].format(v=local[i]) for i, c in enumerate(COLUMNS))
    return "\n".join(
        [
            "def csv_lines(rows, keyring):",
            "    lines = []",
            "    append = lines.append",
            f"    for {', '.join(selected)}, identity in rows:",
            f"        {', '.join(unsealed)}, = unseal(identity, keyring)",
            *(f"        {v} = {v}.replace('\"', '\"\"')" for v in personal),
            f"        if {' or '.join(f'{v}[:1] in triggers' for v in personal)}:",
            f"            {', '.join(personal)}, = (defused(v) for v in ({', '.join(personal)},))",
            *(f"        {statement}" for statement in before),
            f"        append(f'{line}' + end)",
            "    return ''.join(lines)",
        ]
    )


def _compiled_csv_lines() -> Callable[[list[tuple[Any, ...]], Keyring], str]:
    names: dict[str, Any] = {
        "unseal": person_fields,
        "triggers": FORMULA_FIRST_CHARACTERS,
        "yes_no": YES_NO,
        "end": LINE_END,
        "defused": _defused,
    }
    exec(compile(csv_lines_source(), "<export.csv_lines>", "exec"), names)
    function: Callable[[list[tuple[Any, ...]], Keyring], str] = names["csv_lines"]
    function.__doc__ = "CSV lines for rows holding SELECTED's values in order (COLUMNS says how)."
    return function


csv_lines = _compiled_csv_lines()


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


def _row_batches(status_filter: str) -> Iterator[list[tuple[Any, ...]]]:
    """SELECTED's values in id order, a batch at a time.

    Python formats the line: it has to touch every row to decrypt it anyway, and cutting
    timestamp text in the same f-string costs less than SQLite's string functions
    (benchmarks/RESULTS.md). Timestamps come as UTC text, never as datetimes: parsing them
    per row made an earlier export many times slower than `sqlite3 -csv`.
    """
    test = status_filter == TEST_FILTER
    statement = select(*SELECTED).where(Signature.is_test.is_(test)).order_by(Signature.id)
    status = STATUS_FILTERS[status_filter]
    if status is not None:
        # A plain str: raw_rows binds values as they are. Served by ix_signature_status_id.
        statement = statement.where(Signature.status == str(status))
    yield from raw_rows(db.session, statement, BATCH_SIZE)
