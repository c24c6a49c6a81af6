"""Link tokens stay secret and short-lived: none reaches a log, withdraw links expire after
WITHDRAW_LINK_DAYS, and an expired one offers a fresh link without saying who signed."""

import logging
import os
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from ports import listening_socket, port_of
from sqlalchemy import delete
from support import links_in, old_token, run_worker, sign, stored_signatures

from campaign_site.crypto.keyrings import new_key
from campaign_site.extensions import db
from campaign_site.models import Signature
from campaign_site.petition import link_tokens, signing

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def mail_app(app_factory, mail_server):
    """Mail on the loopback server; no wait between emails, so a renewal may follow a sign-up."""
    return app_factory(**mail_server.settings(), RESEND_INTERVAL_MINUTES=0)


def test_a_withdraw_link_works_until_it_expires(app, client):
    sign(client)
    fresh = old_token(app, link_tokens.WITHDRAW, timedelta(days=29))
    assert client.get(f"/withdraw/{fresh}").status_code == 200
    stale = old_token(app, link_tokens.WITHDRAW, timedelta(days=31))
    page = client.get(f"/withdraw/{stale}")
    assert page.status_code == 410
    assert "This withdraw link has expired" in page.get_data(as_text=True)
    assert "Email me a new link" in page.get_data(as_text=True)


def test_an_expired_withdraw_link_erases_nothing(app, client):
    sign(client)
    stale = old_token(app, link_tokens.WITHDRAW, timedelta(days=31))
    client.get(f"/withdraw/{stale}")
    response = client.post(f"/withdraw/{stale}")
    assert response.status_code == 410
    assert len(stored_signatures(app)) == 1


def test_an_expired_link_mails_a_fresh_one_that_works(mail_app, mail_server):
    client = mail_app.test_client()
    sign(client, email="changed.mind@example.org")
    run_worker(mail_app)
    client.get(links_in(mail_server.inbox.messages[0])["confirm"])
    stale = old_token(mail_app, link_tokens.WITHDRAW, timedelta(days=45))

    client.get(f"/withdraw/{stale}")
    answer = client.post(f"/withdraw/{stale}/renew")
    assert answer.status_code == 200
    assert "Please look for our email" in answer.get_data(as_text=True)
    run_worker(mail_app)

    renewal = mail_server.inbox.messages[-1]
    assert renewal["To"] == "changed.mind@example.org"
    assert renewal["Subject"] == "Your new link to withdraw your signature for Justice for Sergei"
    fresh = links_in(renewal)["withdraw"]
    assert fresh != f"/withdraw/{stale}"
    client.get(fresh)
    assert client.post(fresh).status_code == 200
    assert stored_signatures(mail_app) == []


def test_renewing_answers_the_same_whether_or_not_the_signature_exists(mail_app, mail_server):
    client = mail_app.test_client()
    sign(client)
    stale = old_token(mail_app, link_tokens.WITHDRAW, timedelta(days=45))
    client.get(f"/withdraw/{stale}")
    held = client.post(f"/withdraw/{stale}/renew")
    with mail_app.app_context():
        db.session.execute(delete(Signature))
        db.session.commit()
    gone = client.post(f"/withdraw/{stale}/renew")
    forged = client.post("/withdraw/forged-token/renew")
    assert held.status_code == gone.status_code == forged.status_code == 200
    pages = [
        r.get_data(as_text=True).replace(stale, "T").replace("forged-token", "T")
        for r in (held, gone, forged)
    ]
    assert pages[0] == pages[1] == pages[2]


def test_another_site_cannot_ask_for_a_fresh_link(app, client):
    sign(client)
    stale = old_token(app, link_tokens.WITHDRAW, timedelta(days=45))
    refused = client.post(f"/withdraw/{stale}/renew", headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403


def test_renewals_are_mailed_at_most_once_an_interval(app_factory, mail_server):
    app = app_factory(**mail_server.settings())  # RESEND_INTERVAL_MINUTES: 60
    client = app.test_client()
    sign(client)
    stale = old_token(app, link_tokens.WITHDRAW, timedelta(days=45))
    with app.app_context():
        for _ in range(5):
            signing.send_fresh_withdraw_link(stale)
    run_worker(app)
    assert len(mail_server.inbox.messages) == 1  # the confirmation only: it was just mailed


def test_link_pages_never_pass_their_url_on_as_a_referer(app, client):
    sign(client)
    token = old_token(app, link_tokens.WITHDRAW, timedelta(0))
    for path in (f"/withdraw/{token}", f"/unsubscribe/{token}", f"/confirm/{token}"):
        assert client.get(path).headers.getlist("Referrer-Policy") == ["no-referrer"]


# --- No token in any log ------------------------------------------------------------------

SECRET = "SeCrEtToKeN.abc123-_xyz"
# Shaped like the site's real tokens (payload.timestamp.signature), for paths with no link word.
SHAPED = "WyJzZWNyZXRub25jZTAxMjM0NTY3ODkwMTIzNDUiXQ.axTDHw.Mp0k1D4wk5Cw5X3tYB-9MyQu49Y"
ODD_SPELLINGS = [
    f"/WITHDRAW/{SECRET}",
    f"/withdraw;/{SECRET}",
    f"/de/Unsubscribe./{SECRET}",
    f"/%63onfirm%2F{SECRET}",
    f"/no-such-page/{SHAPED}",
    f"/static/{SHAPED}.css",
]


def test_the_development_servers_request_log_is_redacted(app, caplog):
    caplog.set_level(logging.INFO)
    logging.getLogger("werkzeug").info(
        '%s - - "%s" %s -', "127.0.0.1", f"GET /ru/confirm/{SECRET} HTTP/1.1", 200
    )
    logging.getLogger("werkzeug").info(f'"POST /withdraw/{SECRET}/renew HTTP/1.1" 200 -')
    assert SECRET not in caplog.text
    assert "/ru/confirm/[token]" in caplog.text and "/withdraw/[token]/renew" in caplog.text


@pytest.mark.parametrize("path", ODD_SPELLINGS)
def test_a_token_under_another_spelling_is_redacted_too(app, caplog, path):
    """A 404 under /WITHDRAW/ or /withdraw;/ still logs its path, and the token in it works
    on its proper path: whatever comes before a token, the log never holds it."""
    caplog.set_level(logging.INFO)
    logging.getLogger("werkzeug").info('"GET %s HTTP/1.1" 404 -', path)
    assert SECRET not in caplog.text and SHAPED not in caplog.text
    assert "[token]" in caplog.text


def test_an_error_on_a_link_page_is_logged_without_the_token(app, client, caplog, monkeypatch):
    def broken(token):
        raise RuntimeError("a bug")

    monkeypatch.setattr(signing, "confirm_signature", broken)
    assert client.get(f"/confirm/{SECRET}").status_code == 500
    assert "unhandled error on GET /confirm/[token]" in caplog.text
    assert SECRET not in caplog.text


@pytest.mark.slow
def test_gunicorns_access_log_holds_no_token(migrated_database_url, redis_url, tmp_path):
    """The production server, as `make serve-prod` starts it, logging to a file."""
    with listening_socket() as sock:
        _serve_and_visit(sock, migrated_database_url, redis_url, tmp_path)


def _serve_and_visit(sock, migrated_database_url, redis_url, tmp_path):
    port = port_of(sock)
    log = tmp_path / "access.log"
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": "s" * 48,
        "DATABASE_URL": migrated_database_url,
        "PUBLIC_URL": "https://petition.example.org",
        "TRUSTED_HOSTS": "127.0.0.1",
        "MAIL_SMTP_HOST": "127.0.0.1",
        "DISCREET_MAIL_SENDER": "Notifications <noreply@notes.example.net>",
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": f"test-{port}",
        "DATA_ENCRYPTION_KEY": new_key(),
        "BLIND_INDEX_KEY": new_key(),
        "GUNICORN_BIND": f"fd://{sock.fileno()}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_ACCESS_LOG": str(log),
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "-c", "gunicorn.conf.py", "campaign_site:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        pass_fds=[sock.fileno()],
    )
    try:
        paths = [
            f"/confirm/{SECRET}",
            f"/withdraw/{SECRET}",
            f"/ru/unsubscribe/{SECRET}?x=1",
            f"/withdraw/{SECRET}/renew",
            *ODD_SPELLINGS,
        ]
        _wait_until_serving(port)
        for path in paths:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}",
                headers={"Referer": f"https://petition.example.org{path}"},
            )
            try:
                urllib.request.urlopen(request, timeout=5)
            except urllib.error.HTTPError:
                pass  # 404 for a token we never made: what matters is the log line
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    written = log.read_text()
    assert "/confirm/[token]" in written and "/withdraw/[token]/renew" in written
    assert SECRET not in written and SECRET not in output
    assert SHAPED not in written and SHAPED not in output
    assert written.count("[token]") == 4 + len(ODD_SPELLINGS)


def _wait_until_serving(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


def test_a_link_reveals_no_signature_id(app, client):
    """Ids come in order (and on SQLite a repeat takes none): a readable id in one's own links
    around a victim's signing would tell whether that address had signed."""
    from itsdangerous import URLSafeTimedSerializer

    sign(client, email="first@example.org")
    with app.app_context():
        [signature] = db.session.scalars(db.select(Signature)).all()
        token = link_tokens.make_token(signature, link_tokens.CONFIRM)
        nonce = signature.token_nonce
    payload = URLSafeTimedSerializer("unused").load_payload(token.split(".")[0].encode())
    assert payload == [nonce]  # the random nonce only, no integer id
    assert client.get(f"/confirm/{token}").status_code == 200


def test_links_mailed_before_still_work(app, client):
    """Tokens made before carried [id, nonce]."""
    sign(client, email="older@example.org")
    with app.app_context():
        [signature] = db.session.scalars(db.select(Signature)).all()
        old_style = link_tokens._serializer(link_tokens.CONFIRM).dumps(
            [signature.id, signature.token_nonce]
        )
    assert client.get(f"/confirm/{old_style}").status_code == 200
