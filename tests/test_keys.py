"""Keys: a wrong key is reported clearly and stops nothing else, rotation moves every row to
the new key without losing one, and development keys are made once, owner-only."""

import csv
import io
import stat

import pytest
from flask import Flask
from sqlalchemy import select
from support import confirm_pending, csrf_token_from, log_in, sign, stored_signatures

from campaign_site.config import TEST_BLIND_INDEX_KEY, TEST_DATA_ENCRYPTION_KEY
from campaign_site.crypto.keyrings import key_id, load_keyrings, new_key, parse_keys
from campaign_site.extensions import db
from campaign_site.models import OutboxMessage, Signature

OLD_DATA, OLD_BLIND = TEST_DATA_ENCRYPTION_KEY, TEST_BLIND_INDEX_KEY


def logged_in_admin(app):
    runner = app.test_cli_runner()
    runner.invoke(
        args=["create-admin", "keys-admin@example.org"], input="correct horse battery staple\n"
    )
    client = app.test_client()
    log_in(client, "keys-admin@example.org", "correct horse battery staple")
    return client


def names_in_export(client) -> list[tuple[str, str]]:
    """(given name, family name) of every exported signature."""
    response = client.get("/admin/signatures.csv?status=all")
    assert response.status_code == 200, response.get_data(as_text=True)
    rows = csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig")))
    return [(row["given_name"], row["family_name"]) for row in rows]


def id_of(key_text: str) -> bytes:
    return key_id(parse_keys("k", key_text)[0])


def sign_three(app):
    client = app.test_client()
    for n, name in enumerate(["Сергей Магнитский", "Ada Lovelace", "Olena Kovalenko"]):
        sign(client, name=name, email=f"supporter{n}@example.org", show_name="y")
    confirm_pending(app, client)


def test_a_wrong_data_key_is_reported_and_the_site_stays_up(app_factory):
    right = app_factory()
    sign_three(right)
    assert "Olena" in right.test_client().get("/").get_data(as_text=True)
    wrong = app_factory(DATA_ENCRYPTION_KEY=new_key())
    client = logged_in_admin(wrong)

    page = client.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200  # the story, the count and the form still serve
    assert "Magnitsky" in html and 'name="email"' in html
    assert "Olena" not in html  # a signer it cannot read is left out, not guessed

    export = client.get("/admin/signatures.csv")
    text = export.get_data(as_text=True)
    assert export.status_code == 503
    assert f"DATA_ENCRYPTION_KEY id {id_of(OLD_DATA).hex()}, which is not configured" in text

    status = wrong.test_cli_runner().invoke(args=["key-status"])
    assert (
        status.exit_code == 1
        and "3 signatures sealed under" in status.output
        and "NOT CONFIGURED" in status.output
    )
    rotation = wrong.test_cli_runner().invoke(args=["rotate-keys"])
    assert (
        rotation.exit_code == 1 and "Put that key back into DATA_ENCRYPTION_KEY" in rotation.output
    )


def test_a_wrong_key_makes_mail_wait_not_crash(app_factory):
    app = app_factory()
    sign(app.test_client(), email="waiting@example.org")
    wrong = app_factory(DATA_ENCRYPTION_KEY=new_key())

    result = wrong.test_cli_runner().invoke(args=["mail-worker", "--once"])

    assert result.exit_code == 0, result.output
    with wrong.app_context():
        message = db.session.scalars(select(OutboxMessage)).one()
        assert message.sent_at is None and message.failed_at is None  # will be retried
        assert "not configured" in message.last_error
        db.session.rollback()


def test_a_wrong_blind_index_key_pauses_signing_instead_of_allowing_doubles(app_factory):
    sign_three(app_factory())
    wrong = app_factory(BLIND_INDEX_KEY=new_key())
    client = wrong.test_client()

    page = client.get("/").get_data(as_text=True)
    assert "Signing is paused for a short while" in page
    sign(client, email="supporter0@example.org")
    assert len(stored_signatures(wrong)) == 3

    dashboard = logged_in_admin(wrong).get("/admin/").get_data(as_text=True)
    assert "the blind index key does not match the stored signatures" in dashboard
    assert "Resume signing" not in dashboard  # resuming could not help
    assert id_of(OLD_BLIND).hex() in dashboard


def test_rotation_re_encrypts_every_row_and_old_rows_stay_readable_throughout(app_factory):
    old_app = app_factory()
    sign_three(old_app)
    before = {row.id: (row.identity, row.mailbox_index) for row in stored_signatures(old_app)}
    new_data, new_blind = new_key(), new_key()
    both = app_factory(
        DATA_ENCRYPTION_KEY=f"{new_data},{OLD_DATA}", BLIND_INDEX_KEY=f"{new_blind}\n{OLD_BLIND}"
    )
    admin = logged_in_admin(both)

    # New key configured, nothing rotated yet: old rows read, repeat signers still recognised.
    assert names_in_export(admin) == [
        ("Сергей", "Магнитский"),
        ("Ada", "Lovelace"),
        ("Olena", "Kovalenko"),
    ]
    sign(both.test_client(), email="Supporter1@Example.org", given_name="Twice", family_name="")
    sign(both.test_client(), email="newcomer@example.org", given_name="New", family_name="Comer")
    assert len(stored_signatures(both)) == 4

    result = both.test_cli_runner().invoke(args=["rotate-keys", "--batch-size", "2"])

    assert result.exit_code == 0, result.output
    assert "2 of 4 (50%)" in result.output and "4 of 4 (100%)" in result.output
    assert "3 rewritten" in result.output.splitlines()[-1]
    rows = stored_signatures(both)
    for row in rows:
        assert row.identity[1:5] == id_of(new_data) and row.mailbox_index[:4] == id_of(new_blind)
        if row.id in before:
            assert (row.identity, row.mailbox_index) != before[row.id]

    again = both.test_cli_runner().invoke(args=["rotate-keys"])
    assert "0 rewritten" in again.output.splitlines()[-1]  # a second run finds nothing to do

    only_new = app_factory(DATA_ENCRYPTION_KEY=new_data, BLIND_INDEX_KEY=new_blind)
    assert names_in_export(logged_in_admin(only_new)) == [
        ("Сергей", "Магнитский"),
        ("Ada", "Lovelace"),
        ("Olena", "Kovalenko"),
        ("New", "Comer"),
    ]
    sign(only_new.test_client(), email="supporter2@example.org")
    assert len(stored_signatures(only_new)) == 4
    status = only_new.test_cli_runner().invoke(args=["key-status"])
    assert (
        status.exit_code == 0
        and f"4 signatures sealed under {id_of(new_data).hex()} (current)" in status.output
    )


def test_development_keys_are_made_once_owner_only_and_announced(tmp_path, caplog):
    app = Flask("keytest", instance_path=str(tmp_path / "instance"))
    load_keyrings(app)
    first = app.extensions["keyrings"]
    files = sorted((tmp_path / "instance").glob("*.key"))

    assert [f.name for f in files] == ["blind-index.key", "data-encryption.key"]
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    announced = caplog.text
    assert "Created DATA_ENCRYPTION_KEY" in announced and "back it up" in announced

    again = Flask("keytest", instance_path=str(tmp_path / "instance"))
    load_keyrings(again)
    assert again.extensions["keyrings"] == first
    assert first["DATA_ENCRYPTION_KEY"].current != first["BLIND_INDEX_KEY"].current


def test_an_admin_finds_a_supporter_by_email_and_erases_them(app, client, admin_client):
    sign(
        client,
        given_name="Сергей",
        family_name="Магнитский",
        email="sergei@example.org",
        postcode_city="Москва",
    )
    sign(client, given_name="Someone", family_name="Else", email="else@example.org")
    confirm_pending(app, client)
    token = csrf_token_from(admin_client.get("/admin/").get_data(as_text=True))

    found = admin_client.post(
        "/admin/find", data={"email": "SERGEI@example.org", "csrf_token": token}
    )
    html = found.get_data(as_text=True)
    assert found.status_code == 200
    assert '<th scope="row">Given name</th><td>Сергей</td>' in html
    assert '<th scope="row">Family name</th><td>Магнитский</td>' in html
    assert "Москва" in html and "confirmed" in html

    missing = admin_client.post(
        "/admin/find", data={"email": "nobody@example.org", "csrf_token": token}
    )
    assert "No signature is held for that mailbox" in missing.get_data(as_text=True)

    with app.app_context():
        signature_id = db.session.scalars(select(Signature.id).order_by(Signature.id)).first()
    unticked = admin_client.post(
        f"/admin/signatures/{signature_id}/erase", data={"csrf_token": token}
    )
    assert unticked.status_code == 422 and len(stored_signatures(app)) == 2
    erased = admin_client.post(
        f"/admin/signatures/{signature_id}/erase", data={"csrf_token": token, "confirm": "yes"}
    )
    assert "erased" in erased.get_data(as_text=True)
    assert [row.name for row in stored_signatures(app)] == ["Someone Else"]
    assert client.get("/api/count").get_json()["count"] == 1


def test_finding_by_email_needs_a_login_and_a_csrf_token(app, client, admin_client):
    anonymous = app.test_client()
    assert anonymous.post("/admin/find", data={"email": "x@example.org"}).status_code in (
        302,
        303,
        400,
    )
    assert admin_client.post("/admin/find", data={"email": "x@example.org"}).status_code == 400


@pytest.mark.slow
def test_gunicorn_with_a_malformed_key_stops_at_once_with_the_reason(tmp_path):
    """A bad key is a configuration error: the server says why and exits, it does not loop."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": "s" * 48,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "PUBLIC_URL": "https://petition.example.org",
        "MAIL_SMTP_HOST": "smtp.example.org",
        "DISCREET_MAIL_SENDER": "Notifications <noreply@notes.example.net>",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        "DATA_ENCRYPTION_KEY": "not-a-key",
        "BLIND_INDEX_KEY": new_key(),
        "GUNICORN_BIND": "127.0.0.1:0",
        "GUNICORN_WORKERS": "2",
    }
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "campaign_site:create_app()",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DATA_ENCRYPTION_KEY has a value that is not a key" in result.stderr
    assert "Worker failed to boot" in result.stderr
