"""/metrics: only with the bearer token (else the site's own 404), never cached, and what it
says: signing outcomes, request timings by route group, gauges from the database, and
nothing personal."""

import pytest
from metrics_support import AUTH, TOKEN, samples, value
from support import confirm_pending, run_cli, sign

from campaign_site.backup.status import record_backup_time


@pytest.fixture
def metrics_app(app_factory):
    return app_factory(METRICS_TOKEN=TOKEN, WAIT_FOR_CONTENT=False)


def scrape(client) -> dict:
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200
    return samples(response.get_data(as_text=True))


def as_unknown(response) -> bytes:
    """The page, with its own address (in the language links) put as /metricz's."""
    return response.get_data().replace(b"/metrics", b"/metricz")


def test_without_a_token_setting_metrics_is_an_unknown_address(client):
    unknown = client.get("/metricz")
    for headers in ({}, AUTH, {"Authorization": "Bearer "}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == unknown.status_code == 404
        assert as_unknown(response) == unknown.get_data()
        assert response.headers == unknown.headers


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        f"Bearer {TOKEN[:-1]}",
        f"Bearer {TOKEN}x",
        f"Basic {TOKEN}",
        TOKEN,
    ],
)
def test_only_the_bearer_token_gets_in(metrics_app, header):
    client = metrics_app.test_client()
    unknown = client.get("/metricz")
    response = client.get(
        "/metrics", headers={"Authorization": header} if header is not None else {}
    )
    assert response.status_code == 404
    assert as_unknown(response) == unknown.get_data()
    assert response.headers == unknown.headers


def test_the_token_gets_the_text_format_never_cached(metrics_app):
    client = metrics_app.test_client()
    for scheme in ("Bearer", "bearer"):
        response = client.get("/metrics", headers={"Authorization": f"{scheme} {TOKEN}"})
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert response.headers["Cache-Control"] == "no-store"
        assert "Set-Cookie" not in response.headers
        assert value(samples(response.get_data(as_text=True)), "campaign_site_database_up") == 1
    assert b"/metrics" not in client.get("/sitemap.xml").get_data()


def test_many_scrapes_are_never_rate_limited(app_factory, redis_url):
    app = app_factory(METRICS_TOKEN=TOKEN, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_url)
    client = app.test_client()
    assert all(client.get("/metrics", headers=AUTH).status_code == 200 for _ in range(40))


def test_signing_outcomes_are_counted(metrics_app):
    client = metrics_app.test_client()
    before = scrape(client)
    assert sign(client, email="ada.metrics@example.org").status_code == 303
    assert sign(client, email="not an address").status_code == 422
    assert (
        sign(client, email="bot@example.org", leave_this_empty="http://spam.example").status_code
        == 303
    )
    after = scrape(client)
    for outcome in ("stored", "invalid", "bot"):
        counted = "campaign_site_signing_attempts_total"
        assert value(after, counted, outcome=outcome) == value(before, counted, outcome=outcome) + 1


def test_paused_and_limited_signing_are_counted(app_factory):
    app = app_factory(METRICS_TOKEN=TOKEN, WAIT_FOR_CONTENT=False, SIGNING_PAUSED=True)
    client = app.test_client()
    counted = "campaign_site_signing_attempts_total"
    before = value(scrape(client), counted, outcome="paused")
    assert sign(client).status_code == 503
    assert value(scrape(client), counted, outcome="paused") == before + 1

    limited = app_factory(
        METRICS_TOKEN=TOKEN,
        WAIT_FOR_CONTENT=False,
        RATELIMIT_ENABLED=True,
        SIGN_RATE_LIMIT="1 per minute",
    ).test_client()
    before = value(scrape(limited), counted, outcome="limited")
    assert sign(limited, email="first@example.org").status_code == 303
    assert sign(limited, email="second@example.org").status_code == 429
    assert value(scrape(limited), counted, outcome="limited") == before + 1


def test_requests_are_timed_by_route_group(metrics_app, admin_credentials):
    client = metrics_app.test_client()
    paths = {
        "/privacy": "public_page",
        "/api/count": "api",
        "/embed": "embed",
        "/admin/login": "admin",
        "/confirm/not-a-token": "confirm",
        "/no-such-page": "other",
    }
    count = "campaign_site_http_request_duration_seconds_count"
    before = scrape(client)
    statuses = {path: client.get(path).status_code for path in paths}
    after = scrape(client)
    for path, group in paths.items():
        assert value(after, count, route=group) >= value(before, count, route=group) + 1, path
        responses = "campaign_site_http_responses_total"
        code = str(statuses[path])
        assert value(after, responses, route=group, code=code) >= 1, path
    # Route groups and status codes are the only labels: no path, no query, no token.
    labels = {label for (name, pairs) in after for label, _ in pairs if "http" in name}
    assert labels <= {"route", "code", "le"}


def test_database_gauges(metrics_app, app_factory):
    client = metrics_app.test_client()
    found = scrape(client)
    assert value(found, "campaign_site_signatures", status="confirmed") == 0
    assert value(found, "campaign_site_backup_age_seconds") == float("inf")
    assert value(found, "campaign_site_backup_max_age_seconds") == 26 * 3600

    sign(client, email="one@example.org")
    sign(client, email="two@example.org", keep_informed="y")
    found = scrape(client)
    assert value(found, "campaign_site_signatures", status="pending") == 2
    assert value(found, "campaign_site_mail_queued", kind="transactional") == 2
    assert value(found, "campaign_site_mail_queued", kind="update") == 0
    assert (
        0 <= value(found, "campaign_site_mail_oldest_queued_age_seconds", kind="transactional") < 60
    )

    confirm_pending(metrics_app, client)
    with metrics_app.app_context():
        record_backup_time()
    found = scrape(client)
    assert value(found, "campaign_site_signatures", status="confirmed") == 2
    assert value(found, "campaign_site_signatures", status="pending") == 0
    assert value(found, "campaign_site_backup_age_seconds") < 60
    assert run_cli(metrics_app, "mail-worker", "--once").exit_code == 0
    found = scrape(client)
    assert value(found, "campaign_site_mail_queued", kind="transactional") == 0
    # The sent ones are counted at most once a minute per process: a fresh one counts now.
    assert value(found, "campaign_site_mail_messages", state="sent") == 0
    fresh = app_factory(METRICS_TOKEN=TOKEN).test_client()
    assert value(scrape(fresh), "campaign_site_mail_messages", state="sent") == 2


def test_a_trending_network_is_flagged_by_kind_only(app_factory):
    app = app_factory(METRICS_TOKEN=TOKEN, WAIT_FOR_CONTENT=False, TRENDING_NETWORK_PER_HOUR=1)
    client = app.test_client()
    assert value(scrape(client), "campaign_site_trending_flagged", kind="network") == 0
    for n in range(3):
        sign(client, email=f"crowd{n}@metrics-domain.example")
    text = client.get("/metrics", headers=AUTH).get_data(as_text=True)
    assert value(samples(text), "campaign_site_trending_flagged", kind="network") == 1
    # Never which network, domain, source, country or person: no personal data at all.
    for secret in ("metrics-domain", "crowd", "Ada", "Lovelace", "London", "GB", "127.0.0.1"):
        assert secret not in text


def test_a_redis_that_does_not_answer_shows_as_down(app_factory):
    from ports import refusing_port

    with refusing_port() as port:
        app = app_factory(
            METRICS_TOKEN=TOKEN,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}",
        )
        assert value(scrape(app.test_client()), "campaign_site_rate_limit_store_up") == 0
    assert (
        value(
            scrape(app_factory(METRICS_TOKEN=TOKEN).test_client()),
            "campaign_site_rate_limit_store_up",
        )
        == 1
    )


def test_mail_that_fails_shows_as_failing(app_factory):
    from ports import refusing_port

    with refusing_port() as port:
        app = app_factory(
            METRICS_TOKEN=TOKEN,
            WAIT_FOR_CONTENT=False,
            MAIL_SMTP_HOST="127.0.0.1",
            MAIL_SMTP_PORT=port,
            MAIL_SMTP_STARTTLS=False,
        )
        client = app.test_client()
        sign(client, email="failing@example.org")
        run_cli(app, "mail-worker", "--once")
        found = scrape(client)
    assert value(found, "campaign_site_mail_messages", state="failing") == 1
    assert value(found, "campaign_site_mail_messages", state="given_up") == 0
    assert value(found, "campaign_site_mail_queued", kind="transactional") == 1


def test_production_refuses_a_short_metrics_token(monkeypatch):
    from campaign_site.config import check_production_settings

    settings = {
        "PRODUCTION": True,
        "SECRET_KEY": "s" * 48,
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/campaign",
        "PUBLIC_URL": "https://petition.example.org",
        "MAIL_SMTP_HOST": "smtp.example.org",
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        "DISCREET_MAIL_SENDER": "Notifications <noreply@notes.example.net>",
    }
    check_production_settings({**settings, "METRICS_TOKEN": TOKEN})
    with pytest.raises(RuntimeError, match="METRICS_TOKEN must be a random value of 32"):
        check_production_settings({**settings, "METRICS_TOKEN": "short"})
