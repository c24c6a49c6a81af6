"""Supporters' identities are stored only as ciphertext: a stolen database file or dump
reveals no name, email or postcode, while the admin export still shows them all."""

import base64
import csv
import io
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
from flask_migrate import upgrade
from sqlalchemy.engine import make_url
from support import confirm_pending, log_in, sign

from campaign_site import create_app
from campaign_site.crypto.keyrings import new_key
from campaign_site.extensions import db

SUPPORTERS = [
    {
        "given_name": "Сергей",
        "family_name": "Магнитский",
        "email": "sergei.magnitsky@example.org",
        "country": "RU",
        "postcode_city": "Москва-Сити",
        "show_name": "y",
    },
    {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "email": "ada.lovelace@example.org",
        "country": "GB",
        "postcode_city": "Marylebone",
    },
    {
        "given_name": "Zoë",
        "family_name": "Ångström",
        "email": "zoe.angstrom@example.net",
        "country": "SE",
        "postcode_city": None,
    },
    {
        "given_name": "Olena",
        "family_name": "Kovalenko",
        "email": "olena.kovalenko@example.com",
        "country": "UA",
        "postcode_city": "Київ Поділ",
        "show_name": "y",
    },
]
ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "cp1251", "koi8-r", "latin-1")


def full_name(supporter: dict) -> str:
    """Given and family name as one, as a single name field once held them."""
    return f"{supporter['given_name']} {supporter['family_name']}"


def secrets_of(supporter: dict) -> set[str]:
    """Each identifying value whole, and every word of it long enough to name someone."""
    values = [full_name(supporter), supporter["email"], supporter["email"].split("@")[0]]
    if supporter["postcode_city"]:
        values.append(supporter["postcode_city"])
    words = {
        word
        for value in values
        for word in value.replace("-", " ").replace(".", " ").split()
        if len(word) >= 5
    }
    return set(values) | words


def encodings_of(text: str) -> set[bytes]:
    """The text as bytes in every way a database, driver or dump might write it."""
    found = set()
    for form in {text, text.lower(), text.upper(), text.casefold()}:
        for encoding in ENCODINGS:
            try:
                raw = form.encode(encoding)
            except UnicodeEncodeError:
                continue
            found |= {
                raw,
                raw.hex().encode(),
                raw.hex().upper().encode(),
                base64.b64encode(raw),
                quote(form).encode(),
            }
    return found


def leaks(blob: bytes) -> list[str]:
    return sorted(
        {
            text
            for supporter in SUPPORTERS
            for text in secrets_of(supporter)
            if any(form in blob for form in encodings_of(text))
        }
    )


def raw_database(url: str) -> bytes:
    """What a thief gets: the SQLite files as they lie on disk, or a plain pg_dump."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        files = [Path(parsed.database + suffix) for suffix in ("", "-wal", "-shm", "-journal")]
        return b"".join(path.read_bytes() for path in files if path.exists())
    libpq_url = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run(
        ["pg_dump", "--no-owner", libpq_url], capture_output=True, check=True
    ).stdout


@pytest.fixture
def fresh_app(empty_database_url):
    """An app on a database of its own, so nothing but this test's supporters is in it."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def log_in_admin(app):
    runner = app.test_cli_runner()
    assert (
        runner.invoke(
            args=["create-admin", "admin@example.org"], input="correct horse battery staple\n"
        ).exit_code
        == 0
    )
    client = app.test_client()
    log_in(client, "admin@example.org", "correct horse battery staple")
    return client


def exported(admin_client, status="all") -> list[dict]:
    response = admin_client.get(f"/admin/signatures.csv?status={status}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))


def test_the_raw_database_and_its_dump_hold_no_supporters_identity(fresh_app, empty_database_url):
    client = fresh_app.test_client()
    for supporter in SUPPORTERS:
        sign(client, **supporter)
    confirm_pending(fresh_app, client)
    admin = log_in_admin(fresh_app)

    rows = exported(admin)
    assert [(r["given_name"], r["family_name"], r["email"], r["postcode_city"]) for r in rows] == [
        (s["given_name"], s["family_name"], s["email"], s["postcode_city"] or "")
        for s in SUPPORTERS
    ]
    page = client.get("/").get_data(as_text=True)
    assert "Сергей" in page and "Olena" in page  # consented given names still shown
    assert "Магнитский" not in page and "Kovalenko" not in page  # family names never are

    with fresh_app.app_context():
        db.engine.dispose()  # nothing held back in a connection: the files are all there is
    raw = raw_database(empty_database_url)
    assert len(raw) > 10_000
    assert b"signature" in raw  # the dump is real, and has the table
    assert leaks(raw) == []


def test_the_leak_check_would_see_plaintext(fresh_app, empty_database_url):
    """The check above is able to fail: a supporter's name typed into a column in the clear is found."""
    from sqlalchemy import text

    with fresh_app.app_context():
        db.session.execute(
            text("INSERT INTO site_setting (key, value, updated_at) VALUES ('x', :v, :t)"),
            {"v": "Сергей Магнитский", "t": "2026-11-25 12:00:00"},
        )
        db.session.commit()
        db.engine.dispose()
    assert "Магнитский" in leaks(raw_database(empty_database_url))


def test_a_repeat_signature_is_found_through_the_blind_index_alone(app, client):
    from support import blind_index_of, stored_signatures

    from campaign_site.models import Signature

    sign(client, email="Jane.Doe+petition@gmail.com")
    sign(client, email="janedoe@googlemail.com", given_name="Someone", family_name="Else")
    [row] = stored_signatures(app)
    assert (row.given_name, row.family_name) == ("Ada", "Lovelace")
    assert row.mailbox_index == blind_index_of(app, "janedoe@gmail.com")
    assert set(Signature.__table__.columns.keys()).isdisjoint(
        {"name", "email", "email_key", "postcode_city"}
    )


def test_a_different_blind_index_key_gives_a_different_index(app):
    from support import blind_index_of

    other = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "BLIND_INDEX_KEY": new_key(),
        }
    )
    assert blind_index_of(app, "ada@example.org") != blind_index_of(other, "ada@example.org")
    assert blind_index_of(app, "ADA@example.org") == blind_index_of(app, "ada@example.org")


@pytest.mark.parametrize(
    "batch_command", [True, False], ids=["with-encrypt-command", "upgrade-alone"]
)
def test_a_plaintext_database_is_sealed_and_no_plaintext_copy_remains(
    empty_database_url, batch_command
):
    from sqlalchemy import inspect, text

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision="0005_signature_language")
        for n, supporter in enumerate(SUPPORTERS):
            db.session.execute(
                text(
                    "INSERT INTO signature (name, email, email_key, country, postcode_city, keep_informed, show_name,"
                    " signed_at, status, confirmed_at, token_nonce, language)"
                    " VALUES (:name, :email, :key, :country, :place, :t, :t, :at, 'confirmed', :at, :nonce, 'en')"
                ),
                {
                    "name": full_name(supporter),
                    "email": supporter["email"],
                    "key": supporter["email"].lower(),
                    "country": supporter["country"],
                    "place": supporter["postcode_city"],
                    "t": True,
                    "at": f"2026-11-0{n + 1} 10:00:00.000000",
                    "nonce": f"{n:032d}",
                },
            )
        db.session.execute(
            text("UPDATE signature_count_shard SET count = :n WHERE shard = 0"),
            {"n": len(SUPPORTERS)},
        )
        db.session.execute(
            text(  # as an older version stored a mail server's refusal
                "INSERT INTO outbox_message (signature_id, kind, created_at, next_attempt_at, attempts, last_error)"
                " SELECT id, 'confirm', signed_at, signed_at, 1, :error FROM signature WHERE email = :email"
            ),
            {
                "error": f"SMTPRecipientsRefused: {{'{SUPPORTERS[1]['email']}': (450, b'busy')}}",
                "email": SUPPORTERS[1]["email"],
            },
        )
        db.session.commit()
        if batch_command:
            upgrade(revision="0006_encrypted_personal_data")
            db.session.remove()
            result = app.test_cli_runner().invoke(
                args=["encrypt-personal-data", "--batch-size", "3"]
            )
            assert result.exit_code == 0, result.output
            assert "3 of 4 (75%)" in result.output and "4 signatures sealed" in result.output
        upgrade(revision="0007_drop_plaintext")
        columns = {column["name"] for column in inspect(db.engine).get_columns("signature")}
        # The queued email survived the table rebuilds; only the address in its error is gone.
        assert db.session.execute(
            text("SELECT attempts, last_error FROM outbox_message")
        ).all() == [(1, None)]
        if db.engine.dialect.name == "sqlite":  # VACUUM ran: no freed page is left to hold old text
            assert db.session.execute(text("PRAGMA freelist_count")).scalar() == 0
        db.session.remove()
        upgrade()  # the migrations after 0007 touch no personal data
        db.session.remove()
        db.engine.dispose()
    assert columns.isdisjoint({"name", "email", "email_key", "postcode_city"})
    assert leaks(raw_database(empty_database_url)) == []

    admin = log_in_admin(app)
    # A single name field cannot be split safely: the whole name is kept as the family name,
    # and no given name is known (so nothing is ever shown publicly or used in a greeting).
    assert [
        (r["given_name"], r["family_name"], r["email"], r["postcode_city"]) for r in exported(admin)
    ] == [("", full_name(s), s["email"], s["postcode_city"] or "") for s in SUPPORTERS]
    page = app.test_client().get("/").get_data(as_text=True)
    assert 'class="recent__name"' not in page  # every legacy row agreed to be listed, none is shown
    sign(app.test_client(), email=SUPPORTERS[1]["email"].upper())  # still one signature per mailbox
    assert len(exported(admin)) == len(SUPPORTERS)
    with app.app_context():
        db.engine.dispose()


def test_the_encrypt_command_explains_itself_before_and_after_the_migrations(empty_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    runner = app.test_cli_runner()
    with app.app_context():
        upgrade(revision="0005_signature_language")
        db.session.remove()
        too_early = runner.invoke(args=["encrypt-personal-data"])
        upgrade()
        db.session.remove()
        done_already = runner.invoke(args=["encrypt-personal-data"])
        db.engine.dispose()
    assert (
        too_early.exit_code == 1
        and "flask db upgrade 0006_encrypted_personal_data" in too_early.output
    )
    assert done_already.exit_code == 0 and "nothing to seal" in done_already.output


def test_two_old_rows_of_one_mailbox_stop_the_sealing_with_a_clear_message(empty_database_url):
    """Migration 0003 left alone a pair whose keys the new mailbox rule would merge."""
    from sqlalchemy import text

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision="0006_encrypted_personal_data")
        for n, (email, key) in enumerate(
            [
                ("Jane.Doe@gmail.com", "jane.doe@gmail.com"),
                ("janedoe@gmail.com", "janedoe@gmail.com"),
            ]
        ):
            db.session.execute(
                text(
                    "INSERT INTO signature (name, email, email_key, country, keep_informed, show_name,"
                    " signed_at, status, token_nonce, language)"
                    " VALUES ('Jane Doe', :email, :key, 'DE', :f, :f, :at, 'confirmed', :nonce, 'en')"
                ),
                {
                    "email": email,
                    "key": key,
                    "f": False,
                    "at": "2026-11-01 10:00:00.000000",
                    "nonce": f"{n:032d}",
                },
            )
        db.session.commit()
        db.session.remove()
        result = app.test_cli_runner().invoke(args=["encrypt-personal-data"])
        left = db.session.execute(
            text("SELECT count(*) FROM signature WHERE email IS NOT NULL")
        ).scalar()
        db.session.remove()
        db.engine.dispose()
    assert result.exit_code == 1
    assert "belongs to a mailbox that already has a signature" in result.output
    assert left == 2  # nothing lost: both rows still there, as they were
