"""Engine behaviour per database (SQLite gets WAL, a busy timeout and explicit BEGINs), the
write and read-only transaction helpers, and plain cursor rows for the export."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any, cast

from sqlalchemy import Select, event
from sqlalchemy.engine import Connection, CursorResult, Engine, Result
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, scoped_session

# Execution option naming how a SQLite transaction begins; writers ask for IMMEDIATE.
SQLITE_BEGIN = "sqlite_begin"
SQLITE_BUSY_TIMEOUT_MS = 5000
# A connection back in the pool for longer than this is pinged before use (see
# _ping_after_a_pause): a server restart takes longer, a spike reuses them far sooner.
PING_AFTER_IDLE_SECONDS = 1.0
RETURNED_AT = "campaign_site.returned_at"


def engine_options(pool_mode: str, options: dict[str, Any]) -> dict[str, Any]:
    """The engine's options for DATABASE_POOL_MODE (checked in config.database_pool_mode).

    Behind a transaction pooler (PgBouncer, pool_mode = transaction) each transaction may run
    on a different server connection, and others' transactions run on ours in between, so
    nothing may live on a server connection beyond a transaction. psycopg prepares a
    statement server-side after its fifth run by default: named _pg3_N on whichever server
    connection ran it, then missing ("does not exist") or clashing ("already exists") on
    the next; prepare_threshold=None never prepares. The site sets nothing else per
    session: isolation levels and READ ONLY go out with each BEGIN, the restore's time zone
    is SET LOCAL, and there are no advisory locks, LISTEN or temporary tables. The small
    pool stays: a client connection to PgBouncer costs it nothing on the database, and
    the idle ping (configure_engine) notices a restarted PgBouncer before a request does.
    """
    if pool_mode != "transaction":
        return options
    connect_args = {**options.get("connect_args", {}), "prepare_threshold": None}
    return {**options, "connect_args": connect_args}


def configure_engine(engine: Engine) -> None:
    """Attach the per-dialect connection setup to an engine: a server's connections are
    pinged after a pause; SQLite's are set up on connect."""
    if engine.dialect.name != "sqlite":
        event.listen(engine.pool, "checkin", _note_return)
        event.listen(engine.pool, "checkout", partial(_ping_after_a_pause, engine.dialect))
        return
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)


def _note_return(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info[RETURNED_AT] = time.monotonic()


def _ping_after_a_pause(dialect: Any, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Ping a connection that sat in the pool for over PING_AFTER_IDLE_SECONDS, so one a
    restarted server (or PgBouncer) dropped is replaced before a request uses it. Not one
    in steady use: a ping on every checkout (pool_pre_ping) was a round trip per request."""
    returned = record.info.get(RETURNED_AT)
    if returned is None or time.monotonic() - returned <= PING_AFTER_IDLE_SECONDS:
        return
    try:
        dialect.do_ping(dbapi_connection)
    except Exception as error:
        if dialect.is_disconnect(error, dbapi_connection, None):
            raise DisconnectionError(str(error)) from error  # the pool connects afresh
        raise


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run beside the writer; the busy timeout makes writers queue."""
    # Take transaction control from pysqlite, which would otherwise BEGIN lazily.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL, not WAL's usual NORMAL: an acknowledged signature must survive a power cut too.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Erased supporters' data is overwritten on disk, not left in free pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    """BEGIN IMMEDIATE takes the write lock up front, so a writer never fails mid-way."""
    options = connection.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        return  # e.g. VACUUM in a migration, which no transaction may surround
    mode = options.get(SQLITE_BEGIN, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def affected_rows(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (a Session hands back a CursorResult)."""
    return cast(CursorResult[Any], result).rowcount


def write_options() -> dict[str, str]:
    """Execution options for a session that is about to write."""
    return {SQLITE_BEGIN: "IMMEDIATE"}


@contextmanager
def write_transaction(session: Session | scoped_session) -> Iterator[None]:
    """One writing unit of work: BEGIN IMMEDIATE on SQLite, commit, or roll back on error.

    A read-only transaction the caller left open is ended first: a SQLite reader cannot
    safely become a writer, and the write must see the latest data anyway.
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("unsaved changes before a write transaction; make them inside it")
        session.rollback()
    session.connection(execution_options=write_options())
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise


@contextmanager
def read_transaction(session: Session | scoped_session) -> Iterator[None]:
    """Reads that end with their block: the transaction is closed (rolled back, as nothing was
    written) even on error, so no snapshot or SQLite read lock outlives them, say while a
    worker talks to a mail server or before a write transaction begins."""
    if isinstance(session, scoped_session):
        session = session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("unsaved changes before a read-only block would be thrown away")
    try:
        yield
    finally:
        session.rollback()


def raw_rows(
    session: Session | scoped_session, statement: Select, batch_size: int
) -> Iterator[list[tuple]]:
    """The rows of statement as plain tuples from the DB-API cursor, batch_size at a time.

    A seam for the export's speed: SQLAlchemy's per-row result machinery cost a fifth of
    the export's time and adds nothing there. PostgreSQL gets a named, server-side cursor,
    so rows stream instead of the whole result landing in memory. Still parameterized: the
    compiled SQL and its bound values go to the driver separately, but as they are: no
    column type converts them, so bind plain values (str, int, bytes), never datetimes or
    enums. It leans on SQLAlchemy's compiled-statement API (tests/test_seams.py checks it
    against an ordinary execute).
    """
    connection = session.connection()  # inside the session's transaction
    compiled = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    params: Any = compiled.params
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup or ())
    raw = connection.connection
    if connection.dialect.name == "postgresql":
        cursor = raw.cursor(name="raw_rows")
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(str(compiled), params)
        while batch := cursor.fetchmany(batch_size):
            yield batch
    finally:
        cursor.close()
