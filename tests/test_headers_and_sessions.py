"""Every response carries the security headers; admin sessions are short-lived and
hard to steal; accounts lock after repeated failures; every export is logged."""

import http.client
import re
import time
from pathlib import Path

import pytest
from ports import listening_socket, port_of
from servers import gunicorn_on, production_env, wait_until_serving
from support import csrf_token_from, log_in, sign

from campaign_site import create_app
from campaign_site.crypto.keyrings import new_key
from campaign_site.extensions import db

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def assert_security_headers(response):
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    for name, value in EXPECTED.items():
        assert response.headers[name] == value, name
    # Pages reached by a token in the URL never pass it on; all others give the origin only.
    assert response.headers.getlist("Referrer-Policy") in (
        ["strict-origin-when-cross-origin"],
        ["no-referrer"],
    )
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "geolocation=()" in response.headers["Permissions-Policy"]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/thank-you",
        "/privacy",
        "/api/count",
        "/healthz",
        "/admin/login",
        "/no-such-page",
        "/confirm/bad-token",
    ],
)
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
    assert (
        "Strict-Transport-Security"
        in proxied.get("/", headers={"X-Forwarded-Proto": "https"}).headers
    )
    assert (
        "Strict-Transport-Security"
        not in client.get("/", headers={"X-Forwarded-Proto": "https"}).headers
    )


TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@pytest.mark.parametrize(
    "template",
    sorted(
        str(p.relative_to(TEMPLATES))
        for p in TEMPLATES.rglob("*.html")
        if p.relative_to(TEMPLATES).parts[0] != "email"  # mail clients need inline styles
    ),
)
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


def production_app(monkeypatch, database_url, **environment):
    """The app as production creates it, from the environment."""
    settings = {
        "APP_ENV": "production",
        "SECRET_KEY": "s" * 48,
        "DATABASE_URL": database_url,
        "PUBLIC_URL": "https://petition.example.org",
        "MAIL_SMTP_HOST": "smtp.example.org",
        "DISCREET_MAIL_SENDER": "Notifications <noreply@notes.example.net>",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        "DATA_ENCRYPTION_KEY": new_key(),
        "BLIND_INDEX_KEY": new_key(),
        **environment,
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return create_app()


def test_production_session_cookie_is_secure(monkeypatch, migrated_database_url):
    app = production_app(monkeypatch, migrated_database_url)
    try:
        login = app.test_client().get("/admin/login", base_url="https://petition.example.org")
        cookie = _set_cookie_for_session(login)
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert app.debug is False
    finally:
        with app.app_context():
            db.engine.dispose()


def _log_in(client, email, password, ip="192.0.2.1"):
    return log_in(client, email, password, ip=ip)


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


def test_repeated_failures_lock_the_account_for_a_while(
    app_factory, admin_credentials, monkeypatch
):
    email, password = admin_credentials
    client = app_factory(ADMIN_LOCK_MINUTES=1 / 60).test_client()  # a one-second lock
    for _ in range(5):
        assert _log_in(client, email, "wrong password").status_code == 422
    locked = _log_in(client, email, password)
    assert locked.status_code == 422  # even the right password, with the same message
    assert "locked for a while" in locked.get_data(as_text=True)

    later = time.time() + 2
    monkeypatch.setattr("time.time", lambda: later)  # the lock has run out
    assert _log_in(client, email, password).status_code == 303


def test_a_guesser_cannot_lock_the_admin_out_from_elsewhere(app_factory, admin_credentials):
    """OWASP: lock per account and source together, so knowing the address is not enough."""
    email, password = admin_credentials
    app = app_factory(TRUSTED_PROXIES=1)
    attacker, owner = app.test_client(), app.test_client()
    for _ in range(12):
        _log_in(attacker, email, "wrong password", ip="203.0.113.66")
    assert _log_in(attacker, email, password, ip="203.0.113.66").status_code == 422  # locked there
    assert _log_in(owner, email, password, ip="198.51.100.20").status_code == 303


def test_guesses_spread_over_many_addresses_lock_the_account_but_not_its_known_devices(
    app_factory, admin_credentials
):
    email, password = admin_credentials
    app = app_factory(TRUSTED_PROXIES=1, ADMIN_ACCOUNT_MAX_FAILED_LOGINS=6)
    owner = app.test_client()
    assert (
        _log_in(owner, email, password, ip="198.51.100.20").status_code == 303
    )  # a known device now
    owner.post(
        "/admin/logout",
        data={"csrf_token": csrf_token_from(owner.get("/admin/").get_data(as_text=True))},
    )
    botnet = app.test_client()
    for n in range(6):  # one guess from each of many addresses
        assert _log_in(botnet, email, "wrong password", ip=f"203.0.113.{n}").status_code == 422
    stranger = app.test_client()
    assert (
        _log_in(stranger, email, password, ip="192.0.2.77").status_code == 422
    )  # a new browser: locked
    assert (
        _log_in(owner, email, password, ip="192.0.2.78").status_code == 303
    )  # the known device gets in


def test_a_forged_device_cookie_does_not_unlock_the_account(app_factory, admin_credentials):
    email, password = admin_credentials
    app = app_factory(TRUSTED_PROXIES=1, ADMIN_ACCOUNT_MAX_FAILED_LOGINS=2)
    botnet = app.test_client()
    for n in range(2):
        _log_in(botnet, email, "wrong password", ip=f"203.0.113.{n}")
    forger = app.test_client()
    forger.set_cookie("admin_device", "WzFd.forged.signature", path="/admin")
    assert _log_in(forger, email, password, ip="192.0.2.9").status_code == 422


def test_an_ipv6_guesser_counts_as_one_source_per_64(app_factory, admin_credentials):
    """One machine holds a whole /64: new addresses in it are not new guessers."""
    email, password = admin_credentials
    client = app_factory(TRUSTED_PROXIES=1).test_client()
    for n in range(5):
        _log_in(client, email, "wrong password", ip=f"2001:db8:1:2::{n + 1:x}")
    assert _log_in(client, email, password, ip="2001:db8:1:2::ffff").status_code == 422
    assert _log_in(client, email, password, ip="2001:db8:1:3::1").status_code == 303


def test_a_success_resets_the_failure_count(app, client, admin_credentials):
    email, password = admin_credentials
    for _ in range(4):
        _log_in(client, email, "wrong password")
    assert _log_in(client, email, password).status_code == 303
    client.post(
        "/admin/logout",
        data={"csrf_token": csrf_token_from(client.get("/admin/").get_data(as_text=True))},
    )
    for _ in range(4):
        _log_in(client, email, "wrong password")
    assert _log_in(client, email, password).status_code == 303


def test_every_export_is_recorded_and_shown_on_the_dashboard(
    app, client, admin_client, admin_credentials
):
    sign(client, email="one@example.org")
    sign(client, email="two@example.org")
    admin_client.get("/admin/signatures.csv?status=pending").get_data()
    admin_client.get("/admin/signatures.csv").get_data()

    html = admin_client.get("/admin/export").get_data(as_text=True)
    rows = re.findall(
        r"<tr><td>[\d\- :]+</td><td>([^<]+)</td><td>(\w+)</td><td class=\"num\">([^<]+)</td></tr>",
        html,
    )
    assert rows == [
        (admin_credentials[0], "confirmed", "0"),
        (admin_credentials[0], "pending", "2"),
    ]


def test_no_other_site_may_embed_our_resources(client):
    """Only the count (/api/count, /badge.svg) is for other sites: tests/test_embed.py."""
    for path in ("/", "/privacy", "/embed", "/no-such-page"):
        assert client.get(path).headers["Cross-Origin-Resource-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "host", ["evil.com", "evil.com:443", "localhost.evil.com", "petition.example.org.evil.com"]
)
def test_a_foreign_host_header_is_refused_never_reflected(app_factory, host):
    client = app_factory(PUBLIC_URL="https://petition.example.org").test_client()
    for path in ("/", "/admin/", "/ru"):
        response = client.get(path, headers={"Host": host})
        assert response.status_code == 400
        assert "evil" not in response.headers.get("Location", "")
        assert "evil" not in response.get_data(as_text=True)


def test_public_url_host_and_configured_extra_hosts_are_served(monkeypatch, migrated_database_url):
    app = production_app(
        monkeypatch, migrated_database_url, TRUSTED_HOSTS="10.0.0.5, internal.example"
    )
    try:
        client = app.test_client()
        assert client.get("/healthz", headers={"Host": "petition.example.org"}).status_code == 200
        assert client.get("/healthz", headers={"Host": "10.0.0.5:8000"}).status_code == 200
        assert client.get("/healthz", headers={"Host": "internal.example"}).status_code == 200
        assert client.get("/healthz", headers={"Host": "localhost"}).status_code == 400
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("trusted_proxies, hsts", [("0", False), ("1", True)])
def test_gunicorn_believes_a_forwarded_scheme_only_from_a_trusted_proxy(
    migrated_database_url, redis_url, trusted_proxies, hsts
):
    """Straight to gunicorn with no proxy in front (TRUSTED_PROXIES=0), a client claiming
    HTTPS gets no HSTS; behind one proxy on loopback the same header is believed."""
    with listening_socket() as sock:
        env = production_env(
            migrated_database_url, redis_url, TRUSTED_PROXIES=trusted_proxies, GUNICORN_WORKERS="1"
        )
        server = gunicorn_on(sock, Path(__file__).resolve().parent.parent, env)
        try:
            wait_until_serving(port_of(sock), server)
            connection = http.client.HTTPConnection("127.0.0.1", port_of(sock), timeout=10)
            connection.request("GET", "/privacy", headers={"X-Forwarded-Proto": "https"})
            response = connection.getresponse()
            response.read()
            connection.close()
        finally:
            server.terminate()
            server.communicate(timeout=30)
    assert response.status == 200
    assert ("Strict-Transport-Security" in response.headers) is hsts
