"""Every response carries the security headers; admin sessions are short-lived and
hard to steal; accounts lock after repeated failures; every export is logged."""

import re
import time
from pathlib import Path

import pytest
from sqlalchemy import update

from campaign_site import create_app
from campaign_site.extensions import db
from campaign_site.models import AdminUser, utcnow
from campaign_site.keys import new_key
from support import csrf_token_from, sign

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def assert_security_headers(response):
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    for name, value in EXPECTED.items():
        assert response.headers[name] == value, name
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "geolocation=()" in response.headers["Permissions-Policy"]


@pytest.mark.parametrize("path", ["/", "/thank-you", "/privacy", "/api/count", "/healthz",
                                  "/admin/login", "/no-such-page", "/confirm/bad-token"])
def test_every_public_response_has_the_security_headers(client, path):
    assert_security_headers(client.get(path))


def test_admin_pages_and_the_csv_have_the_security_headers(admin_client):
    assert_security_headers(admin_client.get("/admin/"))
    assert_security_headers(admin_client.get("/admin/signatures.csv"))


def test_error_and_rate_limit_pages_have_the_security_headers(app_factory, client):
    assert_security_headers(client.get("/sign"))  # 405
    limited = app_factory(RATELIMIT_ENABLED=True, LINK_RATE_LIMIT="1 per minute").test_client()
    limited.get("/confirm/x")
    response = limited.get("/confirm/y")
    assert response.status_code == 429
    assert_security_headers(response)


def test_hsts_only_over_https(app_factory, client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    proxied = app_factory(TRUSTED_PROXIES=1).test_client()
    assert "Strict-Transport-Security" in proxied.get("/", headers={"X-Forwarded-Proto": "https"}).headers
    assert "Strict-Transport-Security" not in client.get("/", headers={"X-Forwarded-Proto": "https"}).headers


TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@pytest.mark.parametrize("template", sorted(
    str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html") if p.parts[-2] != "email"
))
def test_no_template_has_inline_script_style_or_handlers(template):
    html = (TEMPLATES / template).read_text()
    # A script either loads our file or is JSON-LD data, which browsers never execute.
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/ld\+json\")", html)
    assert "<style" not in html and "style=" not in html
    assert not re.search(r"\son[a-z]+=", html)


def _set_cookie_for_session(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))


def test_session_cookie_is_httponly_and_samesite_lax(client):
    cookie = _set_cookie_for_session(client.get("/admin/login"))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_session_cookie_is_secure(monkeypatch, migrated_database_url):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.setenv("DATABASE_URL", migrated_database_url)
    monkeypatch.setenv("PUBLIC_URL", "https://petition.example.org")
    monkeypatch.setenv("MAIL_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", new_key())
    monkeypatch.setenv("BLIND_INDEX_KEY", new_key())
    app = create_app()
    try:
        cookie = _set_cookie_for_session(app.test_client().get("/admin/login", base_url="https://localhost"))
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert app.debug is False
    finally:
        with app.app_context():
            db.engine.dispose()


def _log_in(client, email, password):
    token = csrf_token_from(client.get("/admin/login").get_data(as_text=True))
    return client.post("/admin/login", data={"email": email, "password": password, "csrf_token": token})


def test_login_starts_a_new_session(client, admin_credentials):
    before = csrf_token_from(client.get("/admin/login").get_data(as_text=True))
    _log_in(client, *admin_credentials)
    after = csrf_token_from(client.get("/admin/").get_data(as_text=True))
    assert before != after  # nothing from before login survives it


def test_an_idle_admin_session_expires(admin_client, monkeypatch):
    assert admin_client.get("/admin/").status_code == 200
    later = time.time() + 31 * 60
    monkeypatch.setattr("campaign_site.admin.auth.time.time", lambda: later)
    response = admin_client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login")


def test_an_active_admin_session_stays(admin_client, monkeypatch):
    start = time.time()
    for minutes in (20, 40, 60):
        monkeypatch.setattr("campaign_site.admin.auth.time.time", lambda m=minutes: start + m * 60)
        assert admin_client.get("/admin/").status_code == 200


def test_repeated_failures_lock_the_account_for_a_while(app, client, admin_credentials):
    email, password = admin_credentials
    for _ in range(5):
        assert _log_in(client, email, "wrong password").status_code == 422
    locked = _log_in(client, email, password)
    assert locked.status_code == 422  # even the right password, with the same message
    assert "locked for a while" in locked.get_data(as_text=True)

    with app.app_context():  # the lock has run out
        db.session.execute(update(AdminUser).values(locked_until=utcnow()))
        db.session.commit()
    assert _log_in(client, email, password).status_code == 303


def test_a_success_resets_the_failure_count(app, client, admin_credentials):
    email, password = admin_credentials
    for _ in range(4):
        _log_in(client, email, "wrong password")
    assert _log_in(client, email, password).status_code == 303
    client.post("/admin/logout", data={"csrf_token": csrf_token_from(client.get("/admin/").get_data(as_text=True))})
    for _ in range(4):
        _log_in(client, email, "wrong password")
    assert _log_in(client, email, password).status_code == 303


def test_every_export_is_recorded_and_shown_on_the_dashboard(app, client, admin_client, admin_credentials):
    sign(client, email="one@example.org")
    sign(client, email="two@example.org")
    admin_client.get("/admin/signatures.csv?status=pending").get_data()
    admin_client.get("/admin/signatures.csv").get_data()

    html = admin_client.get("/admin/").get_data(as_text=True)
    rows = re.findall(r"<tr><td>[\d\- :]+</td><td>([^<]+)</td><td>(\w+)</td><td class=\"num\">([^<]+)</td></tr>", html)
    assert rows == [(admin_credentials[0], "confirmed", "0"), (admin_credentials[0], "pending", "2")]
