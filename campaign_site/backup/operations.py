"""Create, verify and restore: what the `flask backup` commands do.

Restore builds the schema at the backup's revision in an empty database, loads every
table, sets the id sequences (PostgreSQL), migrates to this code's revision, then erases
again what the erasure ledger recorded after the backup was taken (backup/erasures.py).
"""

import os
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import upgrade

from campaign_site.backup import erasures
from campaign_site.backup.archive import BackupError, Manifest, opened_backup, write_backup
from campaign_site.backup.snapshot import Progress, database_revision, snapshot
from campaign_site.backup.status import record_backup_time
from campaign_site.crypto.key_maintenance import blind_key_id_of, data_key_id_of
from campaign_site.crypto.keyrings import BLIND_KEY, DATA_KEY, Keyring, blind_keyring, data_keyring
from campaign_site.crypto.sealed_box import UnreadableData, open_box
from campaign_site.extensions import db

SAMPLE = 200  # boxes decrypted by verify
LOAD_BATCH = 5_000
# Tables whose rows a fresh `flask db upgrade` makes itself (zero counts), so not "data".
SEEDED = {"signature_count_shard", "alembic_version"}


def _quiet(_table: str, _rows: int) -> None:
    return None


def create_backup(path: Path, progress: Progress = _quiet) -> Manifest:
    """Back the live database up into path (a new file), while the site keeps serving."""
    if path.exists():
        raise BackupError(f"{path} exists; a backup is never written over another file")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise BackupError(f"{folder} is not a folder")
    engine = db.engine
    code_head = _code_head()
    if database_revision(engine) != code_head:
        raise BackupError(
            "the database is not at this code's schema revision: run `flask db upgrade` first"
        )
    try:
        scratch = tempfile.mkdtemp(prefix=".campaign-backup-", dir=folder)
    except OSError as error:
        raise BackupError(f"cannot write in {folder}: {error.strerror}") from None
    try:
        os.chmod(scratch, 0o700)
        payload = Path(scratch) / "payload.db"
        taken_at = datetime.now(UTC)  # the copy holds nothing erased after this moment
        snapshot(engine, db.metadata, payload, progress)
        manifest = describe(payload, engine.dialect.name, taken_at)
        write_backup(path, manifest, payload)
    finally:
        for leftover in Path(scratch).glob("*"):
            leftover.unlink()
        os.rmdir(scratch)
    record_backup_time()
    return manifest


def describe(payload: Path, source_engine: str, taken_at: datetime | None = None) -> Manifest:
    """The manifest of a payload: when the copy began (taken_at, now if not given),
    revision, rows per table, the key ids its rows need."""
    engine = sa.create_engine(f"sqlite:///{payload}")
    try:
        with engine.connect() as connection:
            names = sa.inspect(connection).get_table_names()
            tables = {
                name: connection.scalar(sa.select(sa.func.count()).select_from(sa.table(name))) or 0
                for name in names
            }
            revision = (
                connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() or ""
            )
            key_ids = _key_ids(connection) if "signature" in names else {}
    finally:
        engine.dispose()
    # Seconds, rounded down: the erasure ledger re-applies from before it, never after.
    created = (taken_at or datetime.now(UTC)).isoformat(timespec="seconds")
    return Manifest(
        created_at=created, engine=source_engine, revision=revision, tables=tables, key_ids=key_ids
    )


def _key_ids(connection: sa.Connection) -> dict[str, list[str]]:
    signature = sa.table(
        "signature", sa.column("personal", sa.LargeBinary), sa.column("email_hash", sa.LargeBinary)
    )
    data = connection.execute(sa.select(data_key_id_of(signature.c.personal)).distinct()).scalars()
    blind = connection.execute(
        sa.select(blind_key_id_of(signature.c.email_hash)).distinct()
    ).scalars()
    return {
        DATA_KEY: sorted(bytes(k).hex() for k in data),
        BLIND_KEY: sorted(bytes(k).hex() for k in blind),
    }


def verify_backup(path: Path) -> list[str]:
    """Read the whole file and check it can be restored here; BackupError says why not.
    Returns what was checked, one line each."""
    with opened_backup(path) as (manifest, payload):
        return _check_payload(manifest, payload) + erasures.to_reapply(manifest, payload)


def _check_payload(manifest: Manifest, payload: Path) -> list[str]:
    checked = [f"checksum: ok ({manifest.payload_bytes:,} bytes of data)"]
    found = describe(payload, manifest.engine)
    if found.tables != manifest.tables or found.revision != manifest.revision:
        raise BackupError(
            "the contents do not match the manifest (rows per table or schema revision)"
        )
    checked.append(f"manifest: matches the contents ({found.rows_summary()})")
    if manifest.revision not in _known_revisions():
        raise BackupError(
            f"schema revision {manifest.revision} is unknown to this code (a backup from newer code?)"
        )
    checked.append(f"schema revision: {manifest.revision}, known to this code")
    checked += _check_keys(found.key_ids, payload)
    return checked


def _check_keys(needed: dict[str, list[str]], payload: Path) -> list[str]:
    lines = []
    for setting, keyring in ((DATA_KEY, data_keyring()), (BLIND_KEY, blind_keyring())):
        missing = set(needed.get(setting, [])) - {kid.hex() for kid in keyring.ids}
        if missing:
            raise BackupError(
                f"{setting} with id {', '.join(sorted(missing))} is needed and not configured"
            )
        lines.append(
            f"{setting}: every id the rows need is configured ({', '.join(needed.get(setting, [])) or 'no rows'})"
        )
    lines.append(_sample_decrypts(payload, data_keyring()))
    return lines


def _sample_decrypts(payload: Path, keyring: Keyring) -> str:
    engine = sa.create_engine(f"sqlite:///{payload}")
    try:
        with engine.connect() as connection:
            if "signature" not in sa.inspect(connection).get_table_names():
                return "sample: no signatures"
            total = connection.exec_driver_sql("SELECT COUNT(*) FROM signature").scalar() or 0
            sample = (
                connection.exec_driver_sql(
                    f"SELECT personal FROM signature ORDER BY random() LIMIT {SAMPLE}"
                )
                .scalars()
                .all()
            )
    finally:
        engine.dispose()
    try:
        for box in sample:
            open_box(bytes(box), keyring)
    except UnreadableData as error:
        raise BackupError(
            f"a sampled signature does not open with the configured keys: {error}"
        ) from None
    return f"sample: {len(sample)} of {total:,} signatures decrypted with the configured keys"


def restore_backup(path: Path, progress: Progress = _quiet) -> tuple[Manifest, list[str]]:
    """Restore into the empty database DATABASE_URL names, migrate it to this code, and
    erase again what the ledger recorded since; returns what that did, one line each."""
    with opened_backup(path) as (manifest, payload):
        _check_payload(manifest, payload)
        engine = db.engine
        _refuse_unless_empty(engine)
        if engine.dialect.name == "sqlite" and manifest.engine == "sqlite":
            _copy_pages(payload, engine)  # the payload is this schema already: copy it whole
        else:
            _drop_everything(engine)
            upgrade(revision=manifest.revision)
            _load(payload, engine, progress)
        upgrade(revision="head")
    return manifest, erasures.reapply(manifest)


def _refuse_unless_empty(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        names = sa.inspect(connection).get_table_names()
        held = {}
        for name in names:
            query = sa.select(sa.func.count()).select_from(sa.table(name))
            if name == "signature_count_shard":
                query = query.where(sa.column("count") != 0)
            elif name in SEEDED:
                continue
            rows = connection.scalar(query) or 0
            if rows:
                held[name] = rows
    if held:
        what = ", ".join(f"{name} ({rows:,} rows)" for name, rows in sorted(held.items()))
        raise BackupError(f"the database at DATABASE_URL is not empty: {what}; nothing was changed")


def _drop_everything(engine: sa.Engine) -> None:
    """The target holds no data (checked): drop its tables so the backup's revision can
    build them exactly as the backup had them."""
    reflected = sa.MetaData()
    reflected.reflect(engine)
    reflected.drop_all(engine)


def _copy_pages(payload: Path, engine: sa.Engine) -> None:
    """SQLite into SQLite: the payload was made by VACUUM INTO from a migrated database, so
    its pages are the whole restored database; SQLite's backup API copies them in one step."""
    engine.dispose()
    source, target = sqlite3.connect(payload), sqlite3.connect(str(engine.url.database))
    try:
        source.backup(target)
    except sqlite3.Error as error:
        raise BackupError(f"the restore failed: {error}") from None
    finally:
        source.close()
        target.close()


def _load(payload: Path, engine: sa.Engine, progress: Progress) -> None:
    """Every row of the payload into the target's tables (built at the same revision), in
    one transaction, by each engine's bulk path: INSERT ... SELECT from the attached file on
    SQLite, COPY on PostgreSQL (row-by-row inserts took 30x the database's own restore)."""
    tables = sa.MetaData()
    tables.reflect(engine)
    ordered = [table for table in tables.sorted_tables if table.name != "alembic_version"]
    if engine.dialect.name == "sqlite":
        _load_sqlite(str(engine.url.database), payload, ordered, progress)
    else:
        _load_postgresql(engine, payload, ordered, progress)


def _load_sqlite(database: str, payload: Path, tables: list[sa.Table], progress: Progress) -> None:
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("ATTACH DATABASE ? AS backup", (str(payload),))
        connection.execute("BEGIN IMMEDIATE")
        for table in reversed(tables):
            connection.execute(f'DELETE FROM main."{table.name}"')  # the seeded count shards
        for table in tables:
            names = ", ".join(f'"{column.name}"' for column in table.columns)
            copied = connection.execute(
                f'INSERT INTO main."{table.name}" ({names}) SELECT {names} FROM backup."{table.name}"'
            ).rowcount
            progress(table.name, copied)
        connection.execute("COMMIT")
    except sqlite3.Error as error:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise BackupError(f"the restore failed and was undone: {error}") from None
    finally:
        connection.close()


def _load_postgresql(
    engine: sa.Engine, payload: Path, tables: list[sa.Table], progress: Progress
) -> None:
    source = sqlite3.connect(payload)
    target = engine.raw_connection()
    try:
        cursor = target.cursor()
        # The payload's timestamps are UTC, without a zone. LOCAL: for this transaction only,
        # so behind PgBouncer no other client's session inherits it (DATABASE_POOL_MODE).
        cursor.execute("SET LOCAL TIME ZONE 'UTC'")
        for table in reversed(tables):
            cursor.execute(f'DELETE FROM "{table.name}"')
        for table in tables:
            _copy_into_postgresql(cursor, source, table, progress)
        _reset_sequences(cursor, tables)
        target.commit()
    except Exception:
        target.rollback()
        raise
    finally:
        target.close()
        source.close()


def _copy_into_postgresql(
    cursor: Any, source: sqlite3.Connection, table: sa.Table, progress: Progress
) -> None:
    names = [column.name for column in table.columns]
    flags = [i for i, column in enumerate(table.columns) if isinstance(column.type, sa.Boolean)]
    quoted = ", ".join(f'"{name}"' for name in names)
    rows = source.execute(f'SELECT {quoted} FROM "{table.name}"')
    done = 0
    with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            if flags:
                row = list(row)
                for i in flags:
                    row[i] = None if row[i] is None else bool(row[i])
            copy.write_row(row)
            done += 1
            if done % 100_000 == 0:
                progress(table.name, done)
    progress(table.name, done)


def _reset_sequences(cursor: Any, tables: list[sa.Table]) -> None:
    for table in tables:
        if "id" in table.columns and isinstance(table.c.id.type, sa.Integer):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
            )


def _code_head() -> str:
    return str(_scripts().get_current_head())


def _known_revisions() -> set[str]:
    return {script.revision for script in _scripts().walk_revisions()}


def _scripts() -> ScriptDirectory:
    migrate = current_app.extensions["migrate"]
    return ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory))
