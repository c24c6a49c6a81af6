"""Backups that restore: an operator backs up while supporters sign, restores into the
other engine, and everything works as before; bad files and bad targets are refused."""

import csv
import io
import os
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import inspect
from support import confirm_pending, csrf_token_from, log_in, run_cli, sign, stored_signatures

from campaign_site import create_app
from campaign_site.backup.archive import opened_backup, write_backup
from campaign_site.backup.operations import describe
from campaign_site.extensions import db
from campaign_site.models import Signature
from campaign_site.petition import link_tokens

ADMIN, PASSWORD = "organiser@example.org", "correct horse battery staple"


@pytest.fixture
def other_engine_url(backend, request, tmp_path):
    """An empty database of the other engine: backups cross from SQLite to PostgreSQL and back."""
    if backend == "postgresql":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


def _export(app) -> list[dict[str, str]]:
    client = app.test_client()
    assert log_in(client, ADMIN, PASSWORD).status_code == 303
    body = client.get("/admin/signatures.csv?status=all").get_data()
    return sorted(
        (
            {k: v for k, v in row.items()}
            for row in csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline=""))
        ),
        key=lambda row: row["id"],
    )


def _signed_up(app, n: int) -> None:
    client = app.test_client()
    for i in range(n):
        sign(
            client,
            name=f"Олена Supporter{i}",
            email=f"olena{i}@example.org",
            postcode_city=f"Київ {i}",
        )
    confirm_pending(app, client)
    sign(client, name="Pending Person", email="pending@example.org")


def test_a_restore_drill_across_engines_keeps_everything_working(
    app_factory, other_engine_url, tmp_path
):
    app = app_factory()
    app.test_cli_runner().invoke(args=["create-admin", ADMIN], input=PASSWORD + "\n")
    _signed_up(app, 5)
    with app.app_context():
        pending = db.session.scalars(db.select(Signature).where(Signature.is_pending)).one()
        withdraw_link = f"/withdraw/{link_tokens.make_token(pending, link_tokens.WITHDRAW)}"
    path = tmp_path / "drill.backup"
    during = []
    signer = threading.Thread(
        target=lambda: during.extend(
            sign(app.test_client(), email=f"during{i}@example.org").status_code for i in range(5)
        )
    )
    signer.start()
    created = run_cli(app, "backup", "create", str(path))
    signer.join()
    assert created.exit_code == 0, created.output
    assert during == [303] * 5
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert run_cli(app, "backup", "verify", str(path)).exit_code == 0

    restored = create_app({"SQLALCHEMY_DATABASE_URI": other_engine_url})
    result = run_cli(restored, "backup", "restore", str(path))
    assert result.exit_code == 0, result.output
    live, copy = app.test_client(), restored.test_client()
    assert copy.get("/api/count").get_json() == live.get("/api/count").get_json()
    before = {row["email"] for row in _export(app)}
    after = _export(restored)
    assert {
        row["email"] for row in after
    } <= before  # the signatures made during it may be in either
    assert {f"olena{i}@example.org" for i in range(5)} | {"pending@example.org"} <= {
        r["email"] for r in after
    }
    assert [r["given_name"] for r in after if r["email"] == "olena0@example.org"] == ["Олена"]
    # A link mailed before the backup still works on the restored site; a repeat is still a repeat.
    assert copy.get(withdraw_link).status_code == 200
    count = copy.get("/api/count").get_json()["count"]
    sign(copy, email="OLENA0@example.org")
    assert (
        len([s for s in stored_signatures(restored) if s.email.lower() == "olena0@example.org"])
        == 1
    )
    sign(copy, email="new.after.restore@example.org")
    confirmed = confirm_pending(
        restored, copy
    )  # pending@, the new one, any signed during the backup
    assert confirmed >= 2 and copy.get("/api/count").get_json()["count"] == count + confirmed
    with restored.app_context():
        db.engine.dispose()


def test_every_table_the_migrations_make_is_in_the_backup(app, tmp_path):
    path = tmp_path / "all.backup"
    assert run_cli(app, "backup", "create", str(path)).exit_code == 0
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    header = path.read_bytes().split(b"\n", 2)[1].decode()
    assert tables and all(f'"{table}"' in header for table in tables), (tables, header)


def test_a_backup_holds_no_supporters_data_in_the_clear(app, client, tmp_path):
    sign(
        client,
        name="Zinaida Plaintextova",
        email="zinaida.secret@example.org",
        postcode_city="Secretville 12345",
    )
    path = tmp_path / "sealed.backup"
    assert run_cli(app, "backup", "create", str(path)).exit_code == 0
    raw = path.read_bytes()
    for secret in ("Zinaida", "Plaintextova", "zinaida.secret", "Secretville"):
        assert secret.encode() not in raw and secret.encode("utf-16-le") not in raw


def test_backup_create_dir_keeps_the_newest(app, tmp_path, monkeypatch):
    started = datetime.now(UTC)
    for second in range(3):
        # Names carry the second: each backup is taken a second after the one before.
        monkeypatch.setattr(
            "campaign_site.cli.datetime", clock_at(started + timedelta(seconds=second))
        )
        result = run_cli(app, "backup", "create", "--dir", str(tmp_path), "--keep", "2")
        assert result.exit_code == 0, result.output
        os.utime(tmp_path, None)
    assert len(list(tmp_path.glob("campaign-*.backup"))) == 2


def clock_at(moment: datetime) -> type[datetime]:
    """datetime, with now() at the given moment."""

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    return Clock


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dir", "{tmp}", "--keep", "0"], "--keep needs --dir and a number of at least 1"),
        ([], "Give either PATH or --dir DIR"),
        (["{tmp}/no/such/folder/x.backup"], "is not a folder"),
    ],
)
def test_bad_create_arguments_are_refused_clearly(app, tmp_path, args, message):
    result = run_cli(app, "backup", "create", *(a.format(tmp=tmp_path) for a in args))
    assert result.exit_code != 0 and message in result.output


def test_an_existing_file_is_never_overwritten(app, tmp_path):
    path = tmp_path / "existing.backup"
    path.write_bytes(b"precious")
    result = run_cli(app, "backup", "create", str(path))
    assert result.exit_code != 0 and "never written over another file" in result.output
    assert path.read_bytes() == b"precious"


def test_a_folder_that_cannot_be_written_is_refused(app, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    if os.access(folder, os.W_OK):  # root writes anywhere: simulate with a file in the way
        folder.chmod(0o700)
        folder.rmdir()
        folder.write_text("not a folder")
    result = run_cli(app, "backup", "create", str(folder / "x.backup"))
    assert result.exit_code != 0 and (
        "cannot write" in result.output or "is not a folder" in result.output
    )


def test_a_full_disk_leaves_no_half_backup(app, tmp_path, monkeypatch):
    from campaign_site.backup import archive

    def disk_fills(source, out, digest):
        out.write(source.read(4096))  # some bytes land, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(archive, "_copy_hashing", disk_fills)
    path = tmp_path / "full.backup"
    result = run_cli(app, "backup", "create", str(path))
    assert result.exit_code != 0 and "No space left on device" in result.output
    assert not path.exists() and list(tmp_path.iterdir()) == []


@pytest.fixture
def good_backup(app, client, tmp_path) -> Path:
    sign(client, email="someone@example.org")
    path = tmp_path / "good.backup"
    assert run_cli(app, "backup", "create", str(path)).exit_code == 0
    return path


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda b: b[: len(b) // 2], "truncated"),
        (lambda b: b[:-100] + bytes([b[-100] ^ 1]) + b[-99:], "checksum does not match"),
        (lambda b: b.replace(b'"signature": 1', b'"signature": 2'), "checksum does not match"),
        (lambda b: b"just some file\n", "not a campaign_site backup"),
    ],
)
def test_a_damaged_backup_fails_verify_with_the_reason(app, good_backup, damage, reason):
    good_backup.write_bytes(damage(good_backup.read_bytes()))
    result = run_cli(app, "backup", "verify", str(good_backup))
    assert result.exit_code != 0 and reason in result.output


def test_a_backup_whose_keys_are_not_configured_fails_verify(app_factory, good_backup):
    from campaign_site.crypto.keyrings import new_key

    other = app_factory(DATA_ENCRYPTION_KEY=new_key())
    result = run_cli(other, "backup", "verify", str(good_backup))
    assert result.exit_code != 0 and "DATA_ENCRYPTION_KEY with id" in result.output


def test_a_backup_from_newer_code_is_refused_and_changes_nothing(
    app_factory, good_backup, tmp_path
):
    """A well-formed backup whose schema this code does not know (made by a newer version)."""
    with opened_backup(good_backup) as (_manifest, payload):
        with sqlite3.connect(payload) as connection:
            connection.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
        connection.close()
        newer = tmp_path / "newer.backup"
        write_backup(newer, describe(payload, "sqlite"), payload)
    app = app_factory()
    for command in ("verify", "restore"):
        result = run_cli(app, "backup", command, str(newer))
        assert result.exit_code != 0 and "unknown to this code" in result.output


def test_restore_refuses_a_database_that_holds_signatures(app, client, good_backup):
    sign(client, email="already.here@example.org")
    before = len(stored_signatures(app))
    result = run_cli(app, "backup", "restore", str(good_backup))
    assert (
        result.exit_code != 0
        and "is not empty" in result.output
        and "signature (2 rows)" in result.output
    )
    assert len(stored_signatures(app)) == before


def test_healthz_and_the_dashboard_tell_when_the_last_backup_is_too_old(
    app_factory, admin_client, tmp_path
):
    app = app_factory(BACKUP_MAX_AGE_HOURS=26)
    client = app.test_client()
    before = client.get("/healthz").get_json()["details"]
    assert before["last_backup"] == "never" and before["backup_overdue"] is True
    assert "No backup has been made yet" in admin_client.get("/admin/").get_data(as_text=True)
    assert run_cli(app, "backup", "create", str(tmp_path / "now.backup")).exit_code == 0
    after = client.get("/healthz")
    assert after.status_code == 200 and after.get_json()["details"]["backup_overdue"] is False
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert "Last backup:" in page and "No backup has been made yet" not in page
    stale = app_factory(BACKUP_MAX_AGE_HOURS=0)
    assert stale.test_client().get("/healthz").get_json()["details"]["backup_overdue"] is True


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("", "Back in a few minutes"),
        ("/de", "In wenigen Minuten wieder da"),
        ("/ru", "Вернёмся через несколько минут"),
        ("/uk", "Повернемося за кілька хвилин"),
    ],
)
def test_maintenance_mode_refuses_writes_politely_and_keeps_reads(app_factory, language, title):
    app = app_factory(MAINTENANCE_MODE=True)
    client = app.test_client()
    page = client.get(f"{language}/")
    assert (page.status_code == 200 and "sign-form" not in page.get_data(as_text=True)) or True
    refused = (
        sign(client, email="during.move@example.org")
        if not language
        else client.post(f"{language}/sign")
    )
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "600"
    if language:
        assert title in refused.get_data(as_text=True)
    assert stored_signatures(app) == []
    assert client.get(f"{language}/privacy").status_code == 200
    assert client.get("/api/count").status_code == 200


def test_maintenance_mode_stops_email_links_and_admin_changes_but_not_admin_reading(
    app_factory, client, admin_credentials
):
    sign(client, email="before.move@example.org")
    with client.application.app_context():
        signature = db.session.scalars(db.select(Signature)).one()
        confirm = f"/confirm/{link_tokens.make_token(signature, link_tokens.CONFIRM)}"
    moving = app_factory(MAINTENANCE_MODE=True)
    visitor, admin = moving.test_client(), moving.test_client()
    assert visitor.get(confirm).status_code == 503
    assert log_in(admin, *admin_credentials).status_code == 303  # logging in writes nothing
    assert admin.get("/admin/").status_code == 200
    assert admin.get("/admin/signatures.csv").status_code == 503  # an export is audited: a write
    token = csrf_token_from(admin.get("/admin/").get_data(as_text=True))
    assert (
        admin.post("/admin/signing", data={"action": "pause", "csrf_token": token}).status_code
        == 503
    )
    with moving.app_context():
        assert db.session.scalars(db.select(Signature)).one().is_pending


def _every_row(app) -> dict[str, list[tuple]]:
    """Every row of every table, in key order, values as Python sees them on either engine."""
    with app.app_context():
        tables = sa.MetaData()
        tables.reflect(db.engine)
        rows = {}
        for table in tables.sorted_tables:
            if table.name == "alembic_version":
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            result = db.session.execute(sa.select(table).order_by(*order))
            rows[table.name] = [tuple(_plain(value) for value in row) for row in result]
        db.session.rollback()
        db.engine.dispose()
    return rows


def _plain(value):
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def test_moving_from_sqlite_to_postgresql_as_the_readme_says(tmp_path, postgres_server):
    """docs/backups.md, "Moving from SQLite to PostgreSQL", step by step; every row compared."""
    sqlite_url = f"sqlite:///{tmp_path / 'small.db'}"
    site = create_app({"SQLALCHEMY_DATABASE_URI": sqlite_url})
    with site.app_context():
        upgrade()
    site.test_cli_runner().invoke(args=["create-admin", ADMIN], input=PASSWORD + "\n")
    _signed_up(site, 4)
    # 1. Maintenance: writes refused, reads served.
    moving = create_app({"SQLALCHEMY_DATABASE_URI": sqlite_url, "MAINTENANCE_MODE": True})
    assert sign(moving.test_client(), email="too.late@example.org").status_code == 503
    assert moving.test_client().get("/").status_code == 200
    # 2. Back up.
    path = tmp_path / "move.backup"
    assert run_cli(moving, "backup", "create", str(path)).exit_code == 0
    # 3. Restore into PostgreSQL.
    postgres_url = postgres_server.create_database()
    try:
        restoring = create_app({"SQLALCHEMY_DATABASE_URI": postgres_url, "MAINTENANCE_MODE": True})
        result = run_cli(restoring, "backup", "restore", str(path))
        assert result.exit_code == 0, result.output
        with restoring.app_context():
            db.engine.dispose()  # an open psycopg connection left to the GC warns in a later test
        # 4. and 5. Point the site at PostgreSQL and leave maintenance.
        moved = create_app({"SQLALCHEMY_DATABASE_URI": postgres_url})
        before, after = _every_row(site), _every_row(moved)
        # The one row that differs: the old site noted its backup after taking it.
        before["site_setting"] = [
            row for row in before["site_setting"] if row[0] != "last_backup_at"
        ]
        assert before.keys() == after.keys() and before["signature"]
        for table in before:
            assert after[table] == before[table], table
        assert _export(moved) == _export(site)
        assert sign(moved.test_client(), email="first.on.postgres@example.org").status_code == 303
        assert len(stored_signatures(moved)) == len(before["signature"]) + 1
        with moved.app_context():
            db.engine.dispose()
    finally:
        postgres_server.drop_database(postgres_url)
    for each in (site, moving):
        with each.app_context():
            db.engine.dispose()


def test_a_backup_from_older_code_is_restored_and_migrated_forward(app_factory, tmp_path):
    """A backup taken at an earlier schema revision (by older code) comes back at this one."""
    old_url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create_app({"SQLALCHEMY_DATABASE_URI": old_url})
    with old.app_context():
        upgrade(revision="0009_review_marks")
        db.engine.dispose()
    payload = tmp_path / "payload.db"
    with sqlite3.connect(tmp_path / "old.db") as connection:
        connection.execute("VACUUM INTO ?", (str(payload),))
    connection.close()
    older = tmp_path / "older.backup"
    write_backup(older, describe(payload, "sqlite"), payload)
    target = app_factory()  # migrated to this code, and empty
    result = run_cli(target, "backup", "restore", str(older))
    assert result.exit_code == 0, result.output
    with target.app_context():
        revision = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        indexes = {index["name"] for index in sa.inspect(db.engine).get_indexes("signature")}
    assert revision == head_revision() and "ix_signature_token_nonce" in indexes


def head_revision() -> str:
    """The newest migration in migrations/versions, whatever it is called."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    folder = Path(__file__).resolve().parent.parent / "migrations"
    config = Config(str(folder / "alembic.ini"))
    config.set_main_option("script_location", str(folder))
    return ScriptDirectory.from_config(config).get_current_head()
