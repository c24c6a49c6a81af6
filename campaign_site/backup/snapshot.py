"""Taking a consistent copy of the live database into a SQLite payload, while it serves.

SQLite: `VACUUM INTO`, one read transaction (in WAL mode writers go on beside it), which
also leaves no free page behind. PostgreSQL: every table read in one REPEATABLE READ, READ
ONLY transaction (one snapshot; no lock that stops signing), streamed in batches into a
SQLite file with the same tables.
"""

import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

from campaign_site.backup.archive import BackupError

BATCH = 10_000
Progress = Callable[[str, int], None]  # (table, rows copied so far)


def database_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def snapshot(engine: Engine, metadata: sa.MetaData, payload: Path, progress: Progress) -> None:
    """Write a consistent copy of every table into payload (a new SQLite file)."""
    if engine.dialect.name == "sqlite":
        _vacuum_into(engine, payload)
    else:
        _copy_postgresql(engine, metadata, payload, progress)


def _vacuum_into(engine: Engine, payload: Path) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        try:
            connection.exec_driver_sql("VACUUM INTO ?", (str(payload),))
        except sa.exc.OperationalError as error:
            raise BackupError(
                f"the copy could not be written ({error.orig}); nothing was kept"
            ) from None


def _copy_postgresql(
    engine: Engine, metadata: sa.MetaData, payload: Path, progress: Progress
) -> None:
    target = sa.create_engine(f"sqlite:///{payload}")
    try:
        metadata.create_all(target)
        with target.begin() as out:
            out.exec_driver_sql(
                "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"
            )
        one_snapshot = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        with (
            engine.connect().execution_options(**one_snapshot) as source,
            sqlite3.connect(payload) as out,
        ):
            for table in [
                *metadata.sorted_tables,
                sa.table("alembic_version", sa.column("version_num")),
            ]:
                _copy_table(source, out, table, progress)
            source.rollback()
    except sqlite3.OperationalError as error:
        raise BackupError(f"the copy could not be written ({error}); nothing was kept") from None
    finally:
        target.dispose()


def _copy_table(
    source: sa.Connection, out: sqlite3.Connection, table: Any, progress: Progress
) -> None:
    names = [column.name for column in table.columns]
    convert = [_to_sqlite(column.type) for column in table.columns]
    insert = (
        f'INSERT INTO "{table.name}" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})'
    )
    query = sa.select(*(sa.column(name) for name in names)).select_from(sa.table(table.name))
    rows = source.execution_options(stream_results=True, yield_per=BATCH).execute(query)
    done = 0
    for batch in rows.partitions(BATCH):
        out.executemany(
            insert, [[c(v) for c, v in zip(convert, row, strict=True)] for row in batch]
        )
        done += len(batch)
        progress(table.name, done)


def _to_sqlite(kind: Any) -> Callable[[Any], Any]:
    """How a value from PostgreSQL is stored as SQLAlchemy's SQLite dialect stores it."""
    python = getattr(kind, "impl", kind)
    if isinstance(python, sa.DateTime):
        return lambda v: None if v is None else v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(python, sa.Date):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(python, sa.Boolean):
        return lambda v: None if v is None else int(v)
    return _plain


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, (datetime, date)):  # a column typed loosely: keep it readable
        return value.isoformat()
    return value
