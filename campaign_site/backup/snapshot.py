"""Taking a consistent copy of the live database into a SQLite payload, while it serves.

SQLite: `VACUUM INTO`, one read transaction (in WAL mode writers go on beside it), which
also leaves no free page behind. PostgreSQL: every table read in one REPEATABLE READ, READ
ONLY transaction (one snapshot; no lock that stops signing), streamed in batches into a
SQLite file with the same tables.
"""

import sqlite3
from collections.abc import Callable
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
    """One table, its values already in SQLite's text forms as PostgreSQL sends them, so
    no Python touches a value on the way (converting each value tripled the time)."""
    names = [column.name for column in table.columns]
    insert = (
        f'INSERT INTO "{table.name}" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})'
    )
    query = sa.select(*(_as_sqlite_stores_it(column) for column in table.columns)).select_from(
        sa.table(table.name)
    )
    rows = source.execution_options(stream_results=True, yield_per=BATCH).execute(query)
    done = 0
    for batch in rows.partitions(BATCH):
        out.executemany(insert, batch)
        done += len(batch)
        progress(table.name, done)


def _as_sqlite_stores_it(column: Any) -> Any:
    """SQL for a column's value as SQLAlchemy's SQLite dialect stores it (UTC timestamps as
    'YYYY-MM-DD HH:MM:SS.ffffff', dates as 'YYYY-MM-DD', booleans as 0/1)."""
    kind = getattr(column.type, "impl", column.type)
    name = column.name
    if isinstance(kind, sa.DateTime):
        utc = sa.literal_column(f"\"{name}\" AT TIME ZONE 'UTC'")
        return sa.func.to_char(utc, "YYYY-MM-DD HH24:MI:SS.US").label(name)
    if isinstance(kind, sa.Date):
        return sa.func.to_char(sa.column(name), "YYYY-MM-DD").label(name)
    if isinstance(kind, sa.Boolean):
        return sa.cast(sa.column(name), sa.Integer).label(name)
    return sa.column(name)
