"""Public pages a shared cache may keep (the same bytes for everyone), and the public forms
guarded by Fetch Metadata instead of a per-visitor token."""

import re

import pytest
from support import VALID_SIGNATURE, csrf_token_from, form_fields, log_in, sign, stored_signatures

from campaign_site.web import public_cache

PUBLIC_PAGES = [
    "/",
    "/de/",
    "/ru/",
    "/uk/",
    "/privacy",
    "/de/privacy",
    "/thank-you",
    "/uk/thank-you",
    "/contact",
    "/ru/accessibility",
    "/api/count",
    "/robots.txt",
    "/sitemap.xml",
]


@pytest.fixture
def cached_app(app_factory):
    """The origin's own memory cache switched on, as in production."""
    return app_factory(PUBLIC_CACHE_SECONDS=60, PUBLIC_CACHE_MAX_AGE=30, PUBLIC_CACHE_S_MAXAGE=90)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_two_fresh_visitors_get_the_same_bytes_and_no_cookie(app_factory, path):
    app = app_factory(PUBLIC_CACHE_MAX_AGE=30, PUBLIC_CACHE_S_MAXAGE=90)
    first = app.test_client().get(path, headers={"Accept-Language": "ru"})
    second = app.test_client().get(path, headers={"Accept-Language": "de-DE"})
    assert first.status_code == second.status_code == 200
    assert first.data == second.data
    for response in (first, second):
        assert "Set-Cookie" not in response.headers
        assert response.headers.get("Vary", "Accept-Encoding") == "Accept-Encoding"
    cache_control = first.headers["Cache-Control"]
    assert "public" in cache_control
    assert "max-age=30" in cache_control and "s-maxage=90" in cache_control
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]+"', etag), "a strong ETag"
    assert etag == second.headers["ETag"]


@pytest.mark.parametrize("memory_cache", [False, True])
def test_a_matching_if_none_match_gets_304(app_factory, memory_cache):
    app = app_factory(PUBLIC_CACHE_SECONDS=60 if memory_cache else 0)
    client = app.test_client()
    etag = client.get("/de/").headers["ETag"]
    again = client.get("/de/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and "public" in again.headers["Cache-Control"]
    changed = client.get("/de/", headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200 and changed.data


def test_a_repeat_is_answered_from_memory_without_entering_flask(cached_app):
    views = []
    cached_app.before_request(lambda: views.append(1))
    client = cached_app.test_client()
    first = client.get("/")
    for _ in range(5):
        repeat = client.get("/")
        assert repeat.data == first.data and repeat.headers == first.headers
    head = client.head("/")
    assert head.status_code == 200 and head.data == b""
    assert len(views) == 1  # the first GET only: the repeats and the HEAD come from memory


def test_the_memory_cache_never_grows_with_what_clients_send(cached_app, monkeypatch):
    monkeypatch.setattr(public_cache, "MAX_SOURCE_ENTRIES", 20)
    client = cached_app.test_client()
    for n in range(50):
        client.get(f"/?fbclid=x{n}")  # not read: the plain page
        client.get(f"/?utm_source=%3Cscript%3E{n}")  # not a valid code: the plain page
        client.get(f"/?source=newsletter-{n}")  # a page of its own, up to the cap
        client.get(f"/no-such-page-{n}")
        client.get(f"/static/nothing-{n}.css")
        client.get(f"/confirm/token-{n}")
    client.get("/")
    store = cached_app.extensions["campaign_site.short_cache"]
    keys = [key for key in store if isinstance(key, tuple)]
    assert [key for key in keys if key[-2:] == (None, None)] == [
        ("page", "/", False, False, None, None)
    ]
    assert len(keys) == 1 + 20
    # Beyond the cap a source's page is still right, only rendered each time.
    assert 'value="newsletter-49"' in client.get("/?source=newsletter-49").get_data(as_text=True)


def test_https_and_http_copies_are_kept_apart(app_factory):
    """HSTS goes out over HTTPS only: a copy made for one must not answer the other."""
    app = app_factory(PUBLIC_CACHE_SECONDS=60, TRUSTED_PROXIES=1)
    client = app.test_client()
    plain = client.get("/")
    secure = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in plain.headers
    assert "Strict-Transport-Security" in secure.headers
    assert "Strict-Transport-Security" not in client.get("/").headers
    for n in range(20):
        client.get("/", headers={"X-Forwarded-Proto": f"junk{n}"})
    store = app.extensions["campaign_site.short_cache"]
    assert len([key for key in store if isinstance(key, tuple)]) == 2


def test_tracking_tags_share_the_cached_page(cached_app):
    views = []
    cached_app.before_request(lambda: views.append(1))
    client = cached_app.test_client()
    first = client.get("/")
    for tag in ("?fbclid=IwAR0abc", "?utm_source=%3Cb%3Enews", "?x=1", "?source="):
        assert client.get("/" + tag).data == first.data
    assert len(views) == 1


def test_a_link_with_a_source_gets_the_page_with_it_in_the_form_and_nothing_else(cached_app):
    client = cached_app.test_client()
    plain = client.get("/").get_data(as_text=True)
    sourced = client.get("/?utm_source=newsletter&utm_campaign=dec-2026").get_data(as_text=True)
    assert sourced == plain.replace(
        'name="source" type="hidden" value=""', 'name="source" type="hidden" value="newsletter"'
    ).replace(
        'name="campaign" type="hidden" value=""', 'name="campaign" type="hidden" value="dec-2026"'
    )
    again = client.get("/?utm_source=newsletter&utm_campaign=dec-2026")
    assert again.get_data(as_text=True) == sourced and again.headers["Cache-Control"].startswith(
        "public"
    )


def hidden_source(page: str) -> str:
    return re.search(r'name="source" type="hidden" value="([^"]*)"', page).group(1)


@pytest.mark.parametrize("path", ["/", "/embed", "/de/"])
@pytest.mark.parametrize(
    "poison",
    [
        "?source=&source=partnerA&utm_source=attacker:x",
        "?source=%20&source=partnerA&utm_source=attacker:x",
        "?utm_source=attacker:x&source=&source=partnerA",
    ],
)
def test_repeated_blank_sources_cannot_put_another_source_on_a_partners_link(
    cached_app, path, poison
):
    """The cache key and the form read the query through one function: a crafted query gets
    a page of its own, never the copy a partner's visitors are served."""
    attacker = cached_app.test_client()
    for _ in range(3):
        assert hidden_source(attacker.get(path + poison).get_data(as_text=True)) == "attacker:x"
    for _ in range(5):
        visitor = cached_app.test_client()
        assert hidden_source(visitor.get(path + "?source=partnerA").get_data(as_text=True)) == (
            "partnerA"
        )
    # And the other way round: a partner's copy made first is not served for the crafted query.
    cached_app.extensions[public_cache.STORE_KEY].clear()
    assert hidden_source(attacker.get(path + "?source=partnerA").get_data(as_text=True)) == (
        "partnerA"
    )
    assert hidden_source(attacker.get(path + poison).get_data(as_text=True)) == "attacker:x"


def test_a_page_that_gained_a_cookie_on_the_way_out_is_never_kept(app_factory):
    """Should a later hook touch the session, the cookie must not be replayed to others."""
    from flask import session

    app = app_factory(PUBLIC_CACHE_SECONDS=60)

    @app.after_request
    def touch_session(response):
        session["seen"] = True
        return response

    assert "Set-Cookie" in app.test_client().get("/privacy").headers
    store = app.extensions["campaign_site.short_cache"]
    assert not [key for key in store if isinstance(key, tuple)]


def test_a_forged_forwarded_proto_does_not_poison_the_https_copy(app_factory):
    app = app_factory(PUBLIC_CACHE_SECONDS=60, TRUSTED_PROXIES=0)
    client = app.test_client()
    client.get("/", headers={"X-Forwarded-Proto": "https"})  # plain HTTP, header not trusted
    store = app.extensions["campaign_site.short_cache"]
    assert ("page", "/", True, False, None, None) not in store


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("POST", "/sign", {"given_name": "", "email": "ada@example.org"}),
        ("GET", "/confirm/not-a-token", None),
        ("GET", "/withdraw/not-a-token", None),
        ("GET", "/no-such-page", None),
        ("GET", "/api/form-stamp", None),
        ("GET", "/healthz", None),
    ],
)
def test_everything_else_says_no_store(client, method, path, data):
    response = client.open(path, method=method, data=data)
    assert response.headers["Cache-Control"] == "no-store"


def test_a_hit_is_refused_for_a_host_we_do_not_serve(cached_app):
    client = cached_app.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400


def test_changing_the_signing_state_shows_at_once_on_the_admins_own_process(cached_app):
    from campaign_site.petition import signing_state

    client = cached_app.test_client()
    assert 'class="sign__form"' in client.get("/").text
    with cached_app.test_request_context():
        signing_state.set_signing_paused(True)
    assert 'class="sign__form"' not in client.get("/").text


def test_the_form_stamp_is_fresh_for_each_request_and_never_kept(cached_app):
    client = cached_app.test_client()
    first, second = client.get("/api/form-stamp"), client.get("/api/form-stamp")
    assert "no-store" in first.headers["Cache-Control"] and "Set-Cookie" not in first.headers
    assert first.get_json()["stamp"]
    assert second.status_code == 200


def test_a_signature_without_the_script_stamp_is_stored_and_marked(app):
    client = app.test_client(use_cookies=False)
    hidden = {k: v for k, v in form_fields(client).items() if k != "started"}
    response = client.post("/sign", data={**VALID_SIGNATURE, **hidden})
    assert response.status_code == 303
    [signature] = stored_signatures(app)
    assert signature.review_marks == "no_form_stamp"


CROSS_SITE = [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"},  # the browser's word wins
    {"Origin": "https://evil.example"},
    {"Origin": "null"},  # a sandboxed frame or a data: page
]
SAME_ORIGIN = [
    {"Sec-Fetch-Site": "same-origin"},
    {"Sec-Fetch-Site": "none"},  # typed or bookmarked
    {"Sec-Fetch-Site": "same-origin", "Origin": "https://evil.example"},
    {"Origin": "http://localhost"},
    {},  # no browser at all: nothing a token would stop either
]


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_a_cross_site_post_is_refused_and_nothing_is_stored(app, headers):
    client = app.test_client()
    response = client.post(
        "/sign", data={**VALID_SIGNATURE, **form_fields(client)}, headers=headers
    )
    assert response.status_code == 403
    assert "This form can only be sent from our own page" in response.text
    assert "nothing was saved" in response.text
    assert stored_signatures(app) == []


@pytest.mark.parametrize("headers", SAME_ORIGIN)
def test_a_same_origin_post_without_a_cookie_is_stored(app, headers):
    client = app.test_client(use_cookies=False)
    response = client.post(
        "/sign", data={**VALID_SIGNATURE, **form_fields(client)}, headers=headers
    )
    assert response.status_code == 303
    assert len(stored_signatures(app)) == 1


def test_the_public_origin_is_accepted_behind_a_proxy(app_factory):
    app = app_factory(PUBLIC_URL="https://petition.example.org")
    client = app.test_client()
    response = client.post(
        "/sign",
        data={**VALID_SIGNATURE, **form_fields(client)},
        headers={"Origin": "https://petition.example.org"},
    )
    assert response.status_code == 303


def test_the_admin_login_still_needs_its_csrf_token(app, admin_credentials):
    client = app.test_client()
    email, password = admin_credentials
    page = client.get("/admin/login")
    assert csrf_token_from(page.text)
    refused = client.post(
        "/admin/login",
        data={"email": email, "password": password},
        headers={"Sec-Fetch-Site": "same-origin"},
    )
    assert refused.status_code == 400
    assert client.get("/admin/").status_code == 302  # still logged out
    assert sign(client).status_code == 303  # the public form needs no token


def test_the_admins_next_page_shows_the_switch_and_notice_whichever_worker_serves_it(
    app_factory, admin_credentials
):
    """Two workers (two apps) behind one balancer, each with its short cache: after pausing
    on one, the dashboard on the other says paused; the notice likewise. The public pages
    follow within PUBLIC_CACHE_SECONDS, as they always have."""
    settings = {"PUBLIC_CACHE_SECONDS": 60, "SECRET_KEY": "one-secret-for-both-workers" * 2}
    worker_a, worker_b = app_factory(**settings), app_factory(**settings)
    email, password = admin_credentials
    admin = worker_a.test_client()
    assert log_in(admin, email, password).status_code == 303
    cookie = admin.get_cookie("session")
    on_b = worker_b.test_client()
    on_b.set_cookie(cookie.key, cookie.value)
    assert "Pause signing now" in on_b.get("/admin/").text  # worker B has cached "open"
    token = csrf_token_from(admin.get("/admin/").text)
    paused = admin.post("/admin/signing", data={"csrf_token": token, "action": "pause"})
    assert paused.status_code == 303
    dashboard = on_b.get("/admin/").text
    assert "Pause signing now" not in dashboard and "Resume signing" in dashboard
    notice = admin.post(
        "/admin/notice", data={"csrf_token": token, "en": "Emails are delayed today."}
    )
    assert notice.status_code == 303
    assert "Emails are delayed today." in on_b.get("/admin/").text
    assert "Emails are delayed today." in on_b.get("/admin/notice").text
