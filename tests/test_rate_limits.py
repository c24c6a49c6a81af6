"""Floods are slowed down: per-IP limits on signing, links and login, per-account limits on
login, shared between workers through Redis, with a readable 429 and Retry-After."""

import re
import uuid

import pytest
from ports import refusing_port
from support import VALID_SIGNATURE, form_fields, in_a_fresh_minute, log_in, sign, stored_signatures


def limited_app(app_factory, **settings):
    return app_factory(
        **{"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://", **settings}
    )


def test_above_the_ceiling_a_429_keeps_what_the_person_typed(app_factory):
    app = limited_app(app_factory, SIGN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [sign(client, email=f"s{n}@example.org").status_code for n in range(4)]

    assert statuses == [303, 303, 303, 429]
    refused = sign(client, email="late@example.org", name="Late Comer", postcode_city="Kyiv")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    html = refused.get_data(as_text=True)
    assert "Very many signatures have come from your network" in html
    assert 'value="Late"' in html and 'value="Comer"' in html and 'value="late@example.org"' in html
    assert 'value="Kyiv"' in html
    assert len(stored_signatures(app)) == 3


def test_the_ceiling_message_is_in_the_visitors_language(app_factory):
    app = limited_app(app_factory, SIGN_RATE_LIMIT="1 per minute")
    client = app.test_client()
    sign(client, email="first@example.org")
    hidden = form_fields(client, "/ru")
    refused = client.post(
        "/ru/sign", data={**VALID_SIGNATURE, **hidden, "email": "second@example.org"}
    )
    assert refused.status_code == 429
    assert "Ничего из введённого не потеряно" in refused.get_data(as_text=True)


def test_failed_forms_never_use_up_the_signing_allowance(app_factory):
    app = limited_app(
        app_factory, SIGN_RATE_LIMIT="2 per minute", SIGN_INVALID_RATE_LIMIT="5 per minute"
    )
    client = app.test_client()
    typos = [sign(client, email=f"typo{n}@").status_code for n in range(4)]
    assert typos == [422, 422, 422, 422]
    assert sign(client, email="ok0@example.org").status_code == 303
    assert sign(client, email="typo@").status_code == 422  # the fifth failure
    junk = sign(client, email="junk@", name="Kept Typing")
    assert junk.status_code == 429 and int(junk.headers["Retry-After"]) > 0  # junk cannot flood
    assert 'value="Kept"' in junk.get_data(as_text=True)
    assert sign(client, email="ok1@example.org").status_code == 303  # nor block a real supporter
    assert len(stored_signatures(app)) == 2


def test_thirty_people_behind_one_address_all_sign_and_count(app_factory, mail_server, redis_url):
    """A screening of Justice for Sergei: one cinema Wi-Fi, the production limits, Redis,
    some typos on the way, and every signature stored, confirmed by its owner and counted."""
    app = app_factory(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=redis_url,
        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
        TRUSTED_PROXIES=1,
        **mail_server.settings(),
    )
    hall = {"X-Forwarded-For": "203.0.113.50"}
    for person in range(30):
        client = app.test_client()
        hidden = form_fields(client)
        form = {
            **VALID_SIGNATURE,
            **hidden,
            "name": f"Viewer {person}",
            "email": f"viewer{person}@example.org",
        }
        if person % 3 == 0:  # a typo first
            typo = client.post("/sign", data={**form, "email": "viewer@"}, headers=hall)
            assert typo.status_code == 422
        assert client.post("/sign", data=form, headers=hall).status_code == 303, person
    assert len(stored_signatures(app)) == 30

    result = app.test_cli_runner().invoke(args=["mail-worker", "--once"])
    assert result.exit_code == 0, result.output
    visitor = app.test_client()
    for message in mail_server.inbox.messages:  # each owner opens their own link
        text = message.get_body(preferencelist=("plain",)).get_content()
        link = re.search(r"http://localhost(/confirm/\S+)", text).group(1)
        assert visitor.get(link).status_code == 200
    assert visitor.get("/api/count").get_json()["count"] == 30
    marks = [s.review_marks for s in stored_signatures(app)]
    # Above SIGN_REVIEW_THRESHOLD (20 per 10 minutes): the last 10, or fewer if the run
    # straddled the end of a ten-minute window.
    assert 1 <= marks.count("busy_address") <= 10 and marks[-1] == "busy_address"
    assert set(marks) == {"", "busy_address"}


def test_a_forged_forwarded_for_header_does_not_escape_the_limit(app_factory):
    app = limited_app(app_factory, SIGN_RATE_LIMIT="2 per minute")
    client = app.test_client()

    def post_claiming(ip, email):
        hidden = form_fields(client)
        return client.post(
            "/sign",
            data={**VALID_SIGNATURE, **hidden, "email": email},
            headers={"X-Forwarded-For": ip},
        ).status_code

    in_a_fresh_minute(seconds_needed=5)  # the limit counts clock minutes
    assert [post_claiming(f"10.0.0.{n}", f"f{n}@example.org") for n in range(3)] == [303, 303, 429]


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(app_factory):
    app = limited_app(app_factory, SIGN_RATE_LIMIT="1 per minute", TRUSTED_PROXIES=1)
    client = app.test_client()

    def post_from(ip, email):
        hidden = form_fields(client)
        return client.post(
            "/sign",
            data={**VALID_SIGNATURE, **hidden, "email": email},
            headers={"X-Forwarded-For": ip},
        ).status_code

    in_a_fresh_minute(seconds_needed=5)  # the limit counts clock minutes
    assert post_from("203.0.113.1", "a@example.org") == 303
    assert post_from("203.0.113.2", "b@example.org") == 303
    assert post_from("203.0.113.1", "c@example.org") == 429


def _login(client, email, password, ip="198.51.100.7"):
    return log_in(client, email, password, ip=ip)


def test_admin_login_is_limited_per_ip(app_factory, admin_credentials):
    app = limited_app(app_factory, LOGIN_RATE_LIMIT_PER_IP="3 per minute", TRUSTED_PROXIES=1)
    client = app.test_client()
    statuses = [
        _login(client, f"guess{n}@example.org", "wrong password").status_code for n in range(4)
    ]
    assert statuses == [422, 422, 422, 429]
    assert client.get("/admin/login").status_code == 200  # reading the form is not limited


def test_admin_login_is_limited_per_account_and_address(app_factory, admin_credentials):
    """The account's limit counts per source: a guesser elsewhere cannot use it up."""
    email, password = admin_credentials
    app = limited_app(
        app_factory,
        LOGIN_RATE_LIMIT_PER_ACCOUNT="2 per hour",
        ADMIN_MAX_FAILED_LOGINS=100,
        TRUSTED_PROXIES=1,
    )
    client = app.test_client()
    statuses = [
        _login(client, email, "wrong password", ip="192.0.2.1").status_code for n in range(3)
    ]
    assert statuses == [422, 422, 429]
    assert _login(client, email, password, ip="192.0.2.200").status_code == 303


def test_email_links_are_limited_per_ip(app_factory):
    app = limited_app(app_factory, LINK_RATE_LIMIT="2 per minute")
    client = app.test_client()
    assert [client.get(f"/confirm/guess{n}").status_code for n in range(3)] == [404, 404, 429]


def test_two_workers_share_a_redis_backed_limit(app_factory, redis_url):
    """Two app instances stand for two gunicorn workers: the limit is one, not two."""
    settings = dict(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=redis_url,
        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
        SIGN_RATE_LIMIT="2 per minute",
    )
    worker_a = app_factory(**settings)
    worker_b = app_factory(**settings)
    client_a, client_b = worker_a.test_client(), worker_b.test_client()

    assert sign(client_a, email="a1@example.org").status_code == 303
    assert sign(client_b, email="b1@example.org").status_code == 303
    assert sign(client_a, email="a2@example.org").status_code == 429
    assert sign(client_b, email="b2@example.org").status_code == 429


def test_in_memory_limits_are_per_process(app_factory):
    """The control for the test above: without Redis, each worker counts alone."""
    settings = dict(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", SIGN_RATE_LIMIT="1 per minute"
    )
    client_a = app_factory(**settings).test_client()
    client_b = app_factory(**settings).test_client()
    assert sign(client_a, email="a@example.org").status_code == 303
    assert sign(client_b, email="b@example.org").status_code == 303


# --- Redis down: signing and links go on, admin login fails closed -----------------------


@pytest.fixture
def down_redis_app(app_factory):
    """Makes the app pointed at a port that refuses connections, as when Redis has gone away."""
    with refusing_port() as port:
        yield lambda **settings: app_factory(
            RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}", **settings
        )


def test_signing_and_links_keep_working_while_redis_is_down(down_redis_app, caplog):
    app = down_redis_app(SIGN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [sign(client, email=f"during-outage{n}@example.org").status_code for n in range(4)]
    assert statuses == [303, 303, 303, 429]  # limited per process, never a 500
    assert len(stored_signatures(app)) == 3
    assert client.get("/confirm/not-a-token").status_code == 404
    assert "falling back to in-memory storage" in caplog.text


def test_healthz_stays_up_and_names_the_redis_outage(down_redis_app):
    client = down_redis_app().test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "details": {
            "database": "ok",
            "rate_limit_store": "unreachable",
            "last_backup": "never",
            "backup_overdue": True,
        },
    }


def test_healthz_reports_a_healthy_redis(app_factory, redis_url):
    client = limited_app(app_factory, RATELIMIT_STORAGE_URI=redis_url).test_client()
    assert client.get("/healthz").get_json()["details"]["rate_limit_store"] == "ok"


def test_admin_login_fails_closed_while_redis_is_down(down_redis_app, admin_credentials):
    email, password = admin_credentials
    client = down_redis_app().test_client()
    response = _login(client, email, password)
    assert response.status_code == 503
    assert "Redis" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # not logged in


def test_the_dashboard_shows_a_redis_outage(down_redis_app, app_factory, admin_credentials):
    email, password = admin_credentials
    healthy = app_factory().test_client()
    assert _login(healthy, email, password).status_code == 303  # logged in before the outage
    during = down_redis_app().test_client()
    during.set_cookie("session", healthy.get_cookie("session").value)
    page = during.get("/admin/")
    assert page.status_code == 200
    assert "rate-limit store (Redis) does not answer" in page.get_data(as_text=True)


def test_redis_replies_are_parsed_by_hiredis():
    """requirements.txt installs redis-py's C parser: each signature's limit check parses
    Redis's reply; the pure-Python parser cost about 50 us more of CPU per signature."""
    from redis.utils import HIREDIS_AVAILABLE

    assert HIREDIS_AVAILABLE
