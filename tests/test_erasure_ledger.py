"""Erasure that survives a restore: a supporter who withdrew after last night's backup stays
erased when an operator restores it, and can still sign again; the ledger that remembers
them holds no personal data, and a withdrawal it cannot record does not happen."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support import (
    confirm_pending,
    csrf_token_from,
    emailed_links,
    log_in,
    run_cli,
    sign,
    stored_signatures,
    withdraw,
    withdraw_link,
)

from campaign_site import create_app
from campaign_site.crypto.keyrings import new_key
from campaign_site.extensions import db
from campaign_site.petition.signing import find_by_email

A = {"name": "Анна Уходящая", "email": "anna.leaving@example.org", "postcode_city": "Tverskaya 7"}
B = {"name": "Boris Staying", "email": "boris.staying@example.org", "postcode_city": "Minsk 220030"}
C = {"name": "Clara Third", "email": "clara.third@example.org", "postcode_city": "Vilnius 01100"}


def count(app) -> int:
    return app.test_client().get("/api/count").get_json()["count"]


def emails(app) -> list[str]:
    return sorted(signature.email for signature in stored_signatures(app))


def ledger_text(app) -> str:
    folder = Path(app.config["ERASURE_LEDGER_DIR"])
    return "".join(path.read_text() for path in sorted(folder.glob("*.jsonl")))


def host_files(app) -> list[Path]:
    return sorted(Path(app.config["ERASURE_LEDGER_DIR"]).glob("*.jsonl"))


def signed_up(app, *supporters) -> None:
    """Each supporter signs and confirms through the link the site gives them."""
    client = app.test_client()
    for supporter in supporters:
        sign(client, **supporter)
    confirm_pending(app, client)


def backed_up(app, path: Path) -> Path:
    result = run_cli(app, "backup", "create", str(path))
    assert result.exit_code == 0, result.output
    return path


def withdrawn(app, email: str) -> None:
    response = withdraw(app.test_client(), withdraw_link(app, email))
    assert response.status_code == 200, response.text


def restored(app_factory, empty_database_url, backup: Path):
    """A site on a new, empty database, with the backup restored into it by the CLI."""
    site = app_factory(SQLALCHEMY_DATABASE_URI=empty_database_url)
    result = run_cli(site, "backup", "restore", str(backup))
    assert result.exit_code == 0, result.output
    site.restore_output = result.output
    return site


def closed(*apps) -> None:
    """No connection left open to a database the fixtures are about to drop."""
    for each in apps:
        with each.app_context():
            db.engine.dispose()


def test_a_restore_does_not_bring_back_a_supporter_who_withdrew(
    mail_app, mail_server, app_factory, empty_database_url, tmp_path
):
    live = mail_app
    client = live.test_client()
    sign(client, **A)
    sign(client, **B)
    for supporter in (A, B):
        confirm = emailed_links(live, mail_server, supporter["email"])["confirm"]
        assert client.get(confirm).status_code == 200
    assert count(live) == 2
    backup = backed_up(live, tmp_path / "last-night.backup")

    # This morning A withdraws, through the link in their email.
    leaving = emailed_links(live, mail_server, A["email"])["withdraw"]
    assert withdraw(client, leaving).status_code == 200
    assert count(live) == 1

    site = restored(app_factory, empty_database_url, backup)
    assert "erasures re-applied: 1" in site.restore_output
    assert emails(site) == [B["email"]]
    assert count(site) == 1
    # A changes their mind: signing again works on the restored site, and counts.
    visitor = site.test_client()
    assert sign(visitor, **A).status_code == 303
    assert confirm_pending(site, visitor) == 1
    assert count(site) == 2
    assert emails(site) == sorted([A["email"], B["email"]])
    closed(live, site)


def test_verify_says_how_many_erasures_a_backup_needs_re_applied(app, tmp_path):
    signed_up(app, A, B)
    before = backed_up(app, tmp_path / "before.backup")
    withdrawn(app, A["email"])
    after = backed_up(app, tmp_path / "after.backup")

    old = run_cli(app, "backup", "verify", str(before))
    new = run_cli(app, "backup", "verify", str(after))

    assert old.exit_code == 0 and "erasures to re-apply: 1\n" in old.output
    assert new.exit_code == 0 and "erasures to re-apply: 0\n" in new.output


def test_erasures_written_down_by_two_hosts_are_both_re_applied(
    app, app_factory, empty_database_url, tmp_path
):
    signed_up(app, A, B, C)
    backup = backed_up(app, tmp_path / "nightly.backup")
    withdrawn(app, A["email"])
    # The first file as collected from another origin behind the load balancer.
    [first] = host_files(app)
    first.rename(first.with_name("web-2.jsonl"))
    withdrawn(app, B["email"])
    assert len(host_files(app)) == 2
    assert "erasures to re-apply: 2" in run_cli(app, "backup", "verify", str(backup)).output

    site = restored(app_factory, empty_database_url, backup)

    assert "erasures re-applied: 2" in site.restore_output
    assert emails(site) == [C["email"]] and count(site) == 1
    closed(site)


def test_the_ledger_holds_no_name_email_or_postcode(app, tmp_path):
    signed_up(app, A)
    withdrawn(app, A["email"])
    text = ledger_text(app)
    [entry] = [json.loads(line) for line in text.splitlines()]
    given, family = A["name"].split()
    for personal in (given, family, A["email"], "anna.leaving", "example.org", "Tverskaya"):
        assert personal.casefold() not in text.casefold(), personal
    assert set(entry) == {"at", "signature_id", "key_id", "mailbox_index", "by"}
    assert entry["at"].endswith("+00:00") and entry["by"] == "supporter"
    assert len(bytes.fromhex(entry["mailbox_index"])) == 36


def test_a_malformed_ledger_line_is_reported_and_skipped(
    app, app_factory, empty_database_url, tmp_path
):
    signed_up(app, A, B)
    backup = backed_up(app, tmp_path / "nightly.backup")
    withdrawn(app, A["email"])
    [ledger] = host_files(app)
    with ledger.open("ab") as out:  # junk, a line cut short by a crash, and bytes
        out.write(b'not json\n{"at": "yesterday"}\n\xff\xfe\x00\n{"at": "2026-12-')

    checked = run_cli(app, "backup", "verify", str(backup))
    assert checked.exit_code == 0, checked.output
    assert "4 line(s) are not erasure entries and were skipped" in checked.output
    assert "erasures to re-apply: 1" in checked.output
    site = restored(app_factory, empty_database_url, backup)
    assert "were skipped" in site.restore_output and "erasures re-applied: 1" in site.restore_output
    assert emails(site) == [B["email"]]
    closed(site)


def test_restoring_again_changes_nothing_more(app, app_factory, empty_database_url, tmp_path):
    signed_up(app, A, B)
    backup = backed_up(app, tmp_path / "nightly.backup")
    withdrawn(app, A["email"])
    [ledger] = host_files(app)
    (ledger.parent / "collected-twice.jsonl").write_bytes(ledger.read_bytes())

    site = restored(app_factory, empty_database_url, backup)
    again = run_cli(site, "backup", "restore", str(backup))

    assert "erasures re-applied: 1" in site.restore_output  # the same entry twice: one erasure
    assert again.exit_code != 0 and "is not empty" in again.output
    assert emails(site) == [B["email"]] and count(site) == 1
    closed(site)


def test_a_supporter_who_signed_again_after_withdrawing_is_kept(
    app, app_factory, empty_database_url, tmp_path
):
    signed_up(app, A)
    withdrawn(app, A["email"])
    signed_up(app, A)  # after the withdrawal: the ledger must not take this one away
    backup = backed_up(app, tmp_path / "after-signing-again.backup")

    site = restored(app_factory, empty_database_url, backup)

    assert "erasures re-applied: 0" in site.restore_output
    assert emails(site) == [A["email"]] and count(site) == 1
    closed(site)


def test_withdrawing_a_pending_signature_is_re_applied_too(
    app, app_factory, empty_database_url, tmp_path
):
    sign(app.test_client(), **A)  # never confirmed
    signed_up(app, B)
    backup = backed_up(app, tmp_path / "nightly.backup")
    withdrawn(app, A["email"])

    site = restored(app_factory, empty_database_url, backup)

    assert "erasures re-applied: 1" in site.restore_output
    assert emails(site) == [B["email"]] and count(site) == 1
    closed(site)


def test_an_admin_erasure_is_written_down_and_re_applied(
    app, admin_client, app_factory, empty_database_url, tmp_path
):
    signed_up(app, A, B)
    backup = backed_up(app, tmp_path / "nightly.backup")
    with app.app_context():
        signature_id = find_by_email(A["email"]).id
        db.session.rollback()
    token = csrf_token_from(admin_client.get("/admin/").text)
    erased = admin_client.post(
        f"/admin/signatures/{signature_id}/erase", data={"csrf_token": token, "confirm": "yes"}
    )
    assert erased.status_code == 200 and '"by": "admin"' in ledger_text(app)

    site = restored(app_factory, empty_database_url, backup)

    assert "erasures re-applied: 1" in site.restore_output
    assert emails(site) == [B["email"]]
    closed(site)


def test_an_entry_under_a_key_no_longer_configured_is_reported_not_a_crash(
    app, app_factory, empty_database_url, tmp_path
):
    signed_up(app, A, B)
    backup = backed_up(app, tmp_path / "nightly.backup")
    withdrawn(app, A["email"])
    [ledger] = host_files(app)
    entry = json.loads(ledger.read_text())
    retired = bytes.fromhex("0badc0de") + bytes(32)  # as if made under a key since removed
    entry.update(key_id=retired[:4].hex(), mailbox_index=retired.hex())
    ledger.write_text(json.dumps(entry) + "\n")

    site = restored(app_factory, empty_database_url, backup)

    assert "BLIND_INDEX_KEY id 0badc0de, which is not configured" in site.restore_output
    assert "erasures re-applied: 1" in site.restore_output  # found by its signature id
    assert emails(site) == [B["email"]]
    closed(site)


@pytest.mark.parametrize(
    ("prefix", "title"),
    [
        ("", "We could not withdraw your signature just now"),
        ("/de", "Wir konnten Ihre Unterschrift gerade nicht zurückziehen"),
        ("/ru", "Сейчас нам не удалось отозвать вашу подпись"),
        ("/uk", "Зараз нам не вдалося відкликати ваш підпис"),
    ],
)
def test_a_withdrawal_the_ledger_cannot_record_is_refused_politely(
    app_factory, tmp_path, prefix, title
):
    in_the_way = tmp_path / "not-a-folder"
    in_the_way.write_text("a file where the ledger's folder should be")
    app = app_factory(ERASURE_LEDGER_DIR=str(in_the_way / "erasures"))
    signed_up(app, A)

    response = withdraw(app.test_client(), withdraw_link(app, A["email"]), prefix)

    assert response.status_code == 503
    assert title in response.text
    assert emails(app) == [A["email"]] and count(app) == 1


def test_an_admin_erasure_the_ledger_cannot_record_is_refused(app_factory, tmp_path):
    in_the_way = tmp_path / "not-a-folder"
    in_the_way.write_text("a file where the ledger's folder should be")
    app = app_factory(ERASURE_LEDGER_DIR=str(in_the_way / "erasures"))
    signed_up(app, A)
    email, password = "owner@example.org", "correct horse battery staple"
    assert run_cli_with_input(app, password, "create-admin", email).exit_code == 0
    admin = app.test_client()
    assert log_in(admin, email, password).status_code == 303
    with app.app_context():
        signature_id = find_by_email(A["email"]).id
        db.session.rollback()
    token = csrf_token_from(admin.get("/admin/").text)

    refused = admin.post(
        f"/admin/signatures/{signature_id}/erase", data={"csrf_token": token, "confirm": "yes"}
    )

    assert refused.status_code == 503 and "Nothing was erased" in refused.text
    assert emails(app) == [A["email"]] and count(app) == 1


def run_cli_with_input(app, text: str, *args: str):
    return app.test_cli_runner().invoke(args=list(args), input=text + "\n")


def test_production_will_not_start_without_a_writable_ledger(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://campaign@db.internal/campaign")
    monkeypatch.setenv("PUBLIC_URL", "https://petition.example.org")
    monkeypatch.setenv("MAIL_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379")
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", new_key())
    monkeypatch.setenv("BLIND_INDEX_KEY", new_key())
    monkeypatch.setenv("ERASURE_LEDGER_DIR", str(tmp_path / "erasures"))
    monkeypatch.setenv("DISCREET_MAIL_SENDER", "Notifications <noreply@mail.example.net>")
    create_app()
    assert (tmp_path / "erasures").is_dir()

    (tmp_path / "in-the-way").write_text("not a folder")
    monkeypatch.setenv("ERASURE_LEDGER_DIR", str(tmp_path / "in-the-way" / "erasures"))
    with pytest.raises(RuntimeError, match="ERASURE_LEDGER_DIR: cannot write"):
        create_app()


APPENDER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from campaign_site import create_app
    from campaign_site.petition import erasure_ledger

    worker, entries = int(sys.argv[1]), int(sys.argv[2])
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        for n in range(entries):
            index = bytes([worker]) * 4 + n.to_bytes(32, "big")
            erasure_ledger.write_down(
                erasure_ledger.ErasureEntry(datetime.now(UTC), worker * 100_000 + n, index)
            )
    """
)


@pytest.mark.slow
def test_appends_from_several_processes_stay_whole_lines(tmp_path):
    folder = tmp_path / "erasures"
    env = {**__import__("os").environ, "ERASURE_LEDGER_DIR": str(folder)}
    root = Path(__file__).resolve().parents[1]
    workers = [
        subprocess.Popen([sys.executable, "-c", APPENDER, str(worker), "300"], cwd=root, env=env)
        for worker in range(1, 5)
    ]
    assert [worker.wait(timeout=120) for worker in workers] == [0] * 4

    [ledger] = folder.glob("*.jsonl")
    lines = ledger.read_bytes().split(b"\n")
    assert lines[-1] == b""
    ids = [json.loads(line)["signature_id"] for line in lines[:-1]]
    assert sorted(ids) == sorted(w * 100_000 + n for w in range(1, 5) for n in range(300))
