"""The site behind Debian's PgBouncer in transaction mode (deploy/pgbouncer/), with
DATABASE_POOL_MODE=transaction: signing from several threads, confirming, the mail worker,
a campaign update, an invalidation and a backup restored through it; and what breaks
without the setting (psycopg's server-side prepared statements)."""

import getpass
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from flask_migrate import upgrade
from ports import free_port
from sqlalchemy import exc, text
from sqlalchemy.engine import make_url
from support import (
    VALID_SIGNATURE,
    csrf_token_from,
    emailed_links,
    form_fields,
    hidden_fields,
    logged_in_admin,
    run_cli,
    run_worker,
)

from campaign_site import create_app
from campaign_site.extensions import db

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PGBOUNCER = "/usr/sbin/pgbouncer"


def bouncer_config(folder: Path, port: int, upstream) -> str:
    """deploy/pgbouncer/pgbouncer.ini with only its marked values changed for loopback."""
    shipped = (ROOT / "deploy/pgbouncer/pgbouncer.ini").read_text()
    changes = [
        (
            "campaign = host=127.0.0.1 port=5432 dbname=campaign",
            f"* = host={upstream.host} port={upstream.port or 5432}",
        ),
        ("listen_port = 6432", f"listen_port = {port}"),
        ("unix_socket_dir = /var/run/postgresql", "unix_socket_dir ="),
        ("auth_type = scram-sha-256", "auth_type = trust"),
        ("auth_file = /etc/pgbouncer/userlist.txt", f"auth_file = {folder / 'userlist.txt'}"),
        ("default_pool_size = 20", "default_pool_size = 2"),
        ("logfile = /var/log/postgresql/pgbouncer.log", "logfile ="),
        ("pidfile = /var/run/postgresql/pgbouncer.pid", "pidfile ="),
    ]
    for production, here in changes:
        assert shipped.count(production) == 1, f"pgbouncer.ini no longer holds {production!r}"
        shipped = shipped.replace(production, here)
    return shipped


@pytest.fixture
def bouncer(postgres_server) -> Iterator[tuple[str, object]]:
    """PgBouncer (transaction pooling, 2 server connections) in front of a throwaway
    database; yields its URL and the PostgreSQL server, to make more databases."""
    if not os.path.exists(PGBOUNCER):
        if os.environ.get("CI") == "true":
            pytest.fail("pgbouncer is not installed: `make tools` installs Debian's")
        pytest.skip("pgbouncer is not installed (make tools)")
    direct = postgres_server.create_database()
    url = make_url(direct)
    # pgbouncer refuses to run as root; as root it switches to nobody, who must read this.
    folder = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    folder.chmod(0o755)
    user = url.username or getpass.getuser()  # libpq's default, as the tests connect
    (folder / "userlist.txt").write_text(f'"{user}" ""\n')
    port = free_port()
    (folder / "pgbouncer.ini").write_text(bouncer_config(folder, port, url))
    command = [PGBOUNCER, *(["-u", "nobody"] if os.geteuid() == 0 else []), "pgbouncer.ini"]
    process = subprocess.Popen(
        command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    through = url.set(port=port, username=user).render_as_string(hide_password=False)
    try:
        wait_for(through, process)
        yield through, postgres_server
    finally:
        process.terminate()
        process.communicate(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
        postgres_server.drop_database(direct)


def wait_for(url: str, process: subprocess.Popen) -> None:
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    deadline = time.monotonic() + 15
    while True:
        if process.poll() is not None:
            raise AssertionError(process.stdout.read())
        try:
            psycopg.connect(conninfo, connect_timeout=1).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def site_on(url: str, tmp_path: Path, **settings):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
            "ERASURE_LEDGER_DIR": str(tmp_path / "erasures"),
            **settings,
        }
    )
    return app


def sign(app, email: str) -> int:
    client = app.test_client()
    form = {**VALID_SIGNATURE, **form_fields(client), "email": email, "keep_informed": "y"}
    return client.post("/sign", data=form).status_code


def send_update(admin) -> None:
    """Compose an update, confirm its count and press Send, as an organiser does."""
    token = csrf_token_from(admin.get("/admin/updates/new").get_data(as_text=True))
    texts = {"subject_en": "News from the campaign", "body_en": "Thank you.\n\nThe campaign"}
    response = admin.post("/admin/updates/new", data={**texts, "csrf_token": token})
    assert response.status_code == 303, response.status_code
    page_url = response.headers["Location"]
    page = admin.get(page_url).get_data(as_text=True)
    step = re.search(
        r'<form method="get" action="(/admin/updates/\d+/confirm)">(.*?)</form>', page, re.S
    )
    assert step, "no confirming step"
    confirming = admin.get(step.group(1), query_string=hidden_fields(step.group(2)))
    form = re.search(
        r'<form method="post" action="(/admin/updates/\d+/send)">(.*?)</form>',
        confirming.get_data(as_text=True),
        re.S,
    )
    assert form, "no send form"
    assert admin.post(form.group(1), data=hidden_fields(form.group(2))).status_code == 303


def invalidate(admin, domain: str) -> str:
    """The fraud page's dry run, then its confirmation; returns the dry run's page."""
    token = csrf_token_from(admin.get("/admin/fraud").get_data(as_text=True))
    data = {"action": "invalidate", "domain": domain, "csrf_token": token}
    page = admin.post("/admin/fraud/check", data=data).get_data(as_text=True)
    form = re.search(
        r'<form method="post" action="/admin/fraud/apply"[^>]*>(.*?)</form>', page, re.S
    )
    assert form, "no confirmation form"
    fields = {**hidden_fields(form.group(1)), "reason": "a test domain"}
    assert admin.post("/admin/fraud/apply", data=fields).status_code == 303
    return page


def count(app) -> int:
    return app.test_client().get("/api/count").get_json()["count"]


def test_the_site_works_through_pgbouncer_in_transaction_mode(bouncer, mail_server, tmp_path):
    url, postgres = bouncer
    app = site_on(url, tmp_path, DATABASE_POOL_MODE="transaction", **mail_server.settings())
    with app.app_context():
        upgrade()  # the migrations through the pooler too
    admin = logged_in_admin(app)

    # Several threads at once: the app's connections take turns on PgBouncer's two.
    statuses: list[int] = []
    emails = [f"s{n}@example.org" for n in range(12)] + [f"b{n}@fraud.example" for n in range(4)]
    threads = [
        threading.Thread(target=lambda part=part: statuses.extend(sign(app, e) for e in part))
        for part in (emails[0::2], emails[1::2])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [303] * len(emails)
    for email in emails:  # the mail worker sends each link; its owner opens it
        link = emailed_links(app, mail_server, email)["confirm"]
        assert app.test_client().get(link).status_code == 200
    assert count(app) == 16

    page = invalidate(admin, "fraud.example")
    assert "Invalidate 4 signatures" in page
    assert count(app) == 12

    mail_server.inbox.messages.clear(), mail_server.inbox.recipients.clear()
    send_update(admin)
    run_worker(app)
    assert sorted(r for rs in mail_server.inbox.recipients for r in rs) == sorted(emails[:12])

    backup = tmp_path / "through-pgbouncer.backup"
    assert run_cli(app, "backup", "create", str(backup)).exit_code == 0
    assert run_cli(app, "backup", "verify", str(backup)).exit_code == 0
    target = postgres.create_database()
    try:
        restored_url = make_url(target).set(
            port=make_url(url).port, username=make_url(url).username
        )
        restored = site_on(
            restored_url.render_as_string(hide_password=False),
            tmp_path,
            DATABASE_POOL_MODE="transaction",
        )
        result = run_cli(restored, "backup", "restore", str(backup))
        assert result.exit_code == 0, result.output
        assert count(restored) == 12
        with restored.app_context():
            db.engine.dispose()
    finally:
        postgres.drop_database(target)
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("mode", ["session", "transaction"])
def test_only_transaction_mode_survives_statements_repeated_on_two_connections(
    bouncer, tmp_path, mode
):
    """psycopg prepares a statement on its sixth run, on whichever server connection
    PgBouncer lent; the next transaction may run elsewhere, or meet another client's."""
    url, _ = bouncer
    app = site_on(url, tmp_path, DATABASE_POOL_MODE=mode)
    with app.app_context():
        first, second = db.engine.connect(), db.engine.connect()
        try:
            for _ in range(10):
                for connection in (first, second):
                    connection.execute(text("SELECT 1 + :n"), {"n": 1})
                    connection.commit()  # (a ROLLBACK makes psycopg forget them)
        except exc.DBAPIError as error:
            assert mode == "session", error
            assert "prepared statement" in str(error)
        else:
            assert mode == "transaction", "no error: is PgBouncer still pooling transactions?"
        finally:
            first.close(), second.close()
            db.engine.dispose()


@pytest.mark.parametrize(
    ("mode", "url", "message"),
    [
        ("transactions", "postgresql+psycopg://127.0.0.1/x", "must be session or transaction"),
        ("transaction", "sqlite:///x.db", "is for PostgreSQL behind a transaction pooler"),
    ],
)
def test_a_wrong_pool_mode_stops_the_start(mode, url, message):
    with pytest.raises(RuntimeError, match=message):
        create_app({"SQLALCHEMY_DATABASE_URI": url, "DATABASE_POOL_MODE": mode})
