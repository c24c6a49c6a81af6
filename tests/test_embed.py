"""The partners' embed: a compact signing form that only the sites in
EMBED_ORIGINS may frame, the count any site may read or show, and the admin's snippets."""

import html
import re

import pytest
from support import VALID_SIGNATURE, form_stamp, hidden_fields, log_in, stored_signatures

from campaign_site import create_app
from campaign_site.config import embed_origins

PARTNERS = "https://partner.example.org, https://other.example.net:8443"
FRAME_ANCESTORS = (
    "frame-ancestors 'self' https://partner.example.org https://other.example.net:8443;"
)


@pytest.fixture
def embed_app(app_factory):
    """The site with two partners allowed to frame the embed."""
    return app_factory(EMBED_ORIGINS=PARTNERS)


def embed_fields(client, path: str = "/embed?source=partner:test") -> dict[str, str]:
    """The embed's hidden fields, and the stamp site.js fetches once the visitor starts."""
    prefix = path.split("/embed")[0]
    return {**hidden_fields(client.get(path).text), "started": form_stamp(client, prefix)}


def assert_framed_by_partners(response) -> None:
    assert FRAME_ANCESTORS in response.headers["Content-Security-Policy"] + ";"
    assert "frame-ancestors 'none'" not in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers  # it has no allow-list


def assert_never_framed(response) -> None:
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "partner.example.org" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


# --- who may frame what ------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/embed", "/de/embed", "/ru/embed?source=partner:test", "/embed/thank-you"]
)
def test_the_embed_and_its_thanks_may_be_framed_by_the_partners_only(embed_app, path):
    response = embed_app.test_client().get(path)
    assert response.status_code == 200
    assert_framed_by_partners(response)


def test_the_embeds_error_page_may_be_framed_too(embed_app):
    client = embed_app.test_client()
    response = client.post(
        "/uk/embed/sign", data={**embed_fields(client, "/uk/embed"), "email": "not an address"}
    )
    assert response.status_code == 422
    assert 'class="error-summary"' in response.text
    assert_framed_by_partners(response)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/de/",
        "/thank-you",
        "/privacy",
        "/api/count",
        "/badge.svg",
        "/api/form-stamp",
        "/healthz",
        "/admin/login",
        "/no-such-page",
        "/embed/no-such-page",
        "/confirm/bad-token",
    ],
)
def test_every_other_page_stays_unframeable(embed_app, path):
    assert_never_framed(embed_app.test_client().get(path))


def test_the_campaign_pages_form_errors_stay_unframeable(embed_app):
    response = embed_app.test_client().post("/sign", data={"email": "not an address"})
    assert response.status_code == 422
    assert_never_framed(response)


def test_without_partners_only_the_site_itself_may_frame_the_embed(app):
    """The admin's Partners page shows the embed as a preview, from our own origin."""
    response = app.test_client().get("/embed")
    assert response.status_code == 200
    assert "frame-ancestors 'self';" in response.headers["Content-Security-Policy"] + ";"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


# --- EMBED_ORIGINS ------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry",
    [
        "partner.example.org",  # no scheme
        "https://partner.example.org/petition",  # a path
        "https://*.example.org",  # a wildcard
        "https://partner.example.org?x=1",
        "https://user@partner.example.org",
        "ftp://partner.example.org",
        "http://partner.example.org",  # plain http beyond loopback
        "https://partner.example.org:99999",
        "'self'",
        "*",
        "https://partner.example.org 'unsafe-inline'",  # would widen the policy
        "https://partner.example.org;script-src *",
    ],
)
def test_a_malformed_embed_origin_stops_the_start_with_the_entry_named(
    migrated_database_url, entry
):
    with pytest.raises(RuntimeError, match="EMBED_ORIGINS") as refused:
        create_app(
            {
                "SQLALCHEMY_DATABASE_URI": migrated_database_url,
                "EMBED_ORIGINS": f"https://fine.example.org,{entry}",
            }
        )
    assert repr(entry) in str(refused.value)


def test_embed_origins_are_normalised_and_loopback_http_is_for_development_only():
    config = {"EMBED_ORIGINS": ["HTTPS://Partner.Example.org/", "http://127.0.0.1:8123", ""]}
    assert embed_origins(config) == ["https://partner.example.org", "http://127.0.0.1:8123"]
    assert embed_origins({"EMBED_ORIGINS": "http://localhost:5001,"}) == ["http://localhost:5001"]
    with pytest.raises(RuntimeError, match="'http://localhost:5001'"):
        embed_origins({"EMBED_ORIGINS": ["http://localhost:5001"], "PRODUCTION": True})
    assert embed_origins({}) == []


def test_embed_origins_come_from_the_environment(monkeypatch):
    from campaign_site.config import config_from_environment

    monkeypatch.setenv("EMBED_ORIGINS", " https://a.example.org , https://b.example.org ")
    assert config_from_environment().EMBED_ORIGINS == [
        "https://a.example.org",
        "https://b.example.org",
    ]


# --- the count for partners' pages --------------------------------------------------


@pytest.mark.parametrize("path", ["/api/count", "/de/api/count", "/badge.svg", "/uk/badge.svg"])
def test_the_count_may_be_read_and_shown_by_any_site(embed_app, path):
    response = embed_app.test_client().get(path, headers={"Origin": "https://elsewhere.example"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"


@pytest.mark.parametrize(
    "path", ["/", "/embed", "/embed/thank-you", "/privacy", "/api/form-stamp", "/no-such-page"]
)
def test_everything_else_stays_same_origin(embed_app, path):
    response = embed_app.test_client().get(path)
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "Access-Control-Allow-Origin" not in response.headers


def test_the_badge_shows_the_count_in_the_pages_language(embed_app, app_factory):
    client = embed_app.test_client()
    english = client.get("/badge.svg")
    assert english.mimetype == "image/svg+xml"
    assert "public" in english.headers["Cache-Control"] and english.headers["ETag"]
    assert "0 people have signed" in english.text
    assert "Justice for Sergei Magnitsky" in english.text
    assert "Menschen haben unterschrieben" in client.get("/de/badge.svg").text
    assert "<script" not in english.text and "style" not in english.text
    inviting = app_factory(FIRST_SIGNERS_THRESHOLD=100).test_client().get("/badge.svg")
    assert "Be one of the first to sign" in inviting.text


# --- signing inside the frame -------------------------------------------------------


def test_a_supporter_signs_through_a_partners_embed_without_a_cookie(embed_app):
    client = embed_app.test_client(use_cookies=False)
    page = client.get("/de/embed?source=partner:test")
    assert 'name="source" type="hidden" value="partner:test"' in page.text
    assert 'action="/de/embed/sign"' in page.text
    fields = {**VALID_SIGNATURE, **embed_fields(client, "/de/embed?source=partner:test")}

    response = client.post("/de/embed/sign", data=fields, headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/de/embed/thank-you"
    assert "Set-Cookie" not in response.headers
    [signature] = stored_signatures(embed_app)
    assert (signature.source, signature.language, signature.email) == (
        "partner:test",
        "de",
        "ada@example.org",
    )
    assert signature.review_marks == ""

    thanks = client.get("/de/embed/thank-you")
    assert "Danke, dass Sie an der Seite von Sergei Magnitsky stehen" in thanks.text
    assert re.search(r'<a href="/de/"[^>]*target="_blank"[^>]*rel="noopener"', thanks.text)


def test_an_embed_sent_back_keeps_what_was_typed_and_the_source(embed_app):
    client = embed_app.test_client()
    fields = {**embed_fields(client), "given_name": "Ada", "email": "ada@"}
    response = client.post("/embed/sign", data=fields)
    assert response.status_code == 422
    assert 'value="partner:test"' in response.text
    assert 'value="ada@"' in response.text
    assert "<title>Error:" in response.text
    assert stored_signatures(embed_app) == []


def test_a_cross_site_post_to_the_embed_is_refused_inside_the_frame(embed_app):
    client = embed_app.test_client()
    response = client.post(
        "/embed/sign",
        data={**VALID_SIGNATURE, **embed_fields(client)},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    assert "nothing was saved" in response.text
    assert_framed_by_partners(response)  # the partner's visitor reads why, in the frame
    assert stored_signatures(embed_app) == []


def test_a_filled_honeypot_gets_the_embeds_thanks_and_nothing_is_stored(embed_app):
    client = embed_app.test_client()
    fields = {**VALID_SIGNATURE, **embed_fields(client), "leave_this_empty": "bot"}
    response = client.post("/embed/sign", data=fields)
    assert response.status_code == 303
    assert response.headers["Location"] == "/embed/thank-you"
    assert stored_signatures(embed_app) == []


def test_paused_signing_shows_in_the_embed_and_refuses_its_posts(app_factory):
    app = app_factory(EMBED_ORIGINS=PARTNERS, SIGNING_PAUSED=True)
    client = app.test_client()
    assert 'id="signing-paused"' in client.get("/embed").text
    response = client.post("/embed/sign", data=VALID_SIGNATURE)
    assert response.status_code == 503
    assert_framed_by_partners(response)


def test_the_embed_over_the_rate_limit_comes_back_in_the_frame(app_factory):
    app = app_factory(
        EMBED_ORIGINS=PARTNERS, RATELIMIT_ENABLED=True, SIGN_RATE_LIMIT="1 per minute"
    )
    client = app.test_client()
    client.post("/embed/sign", data={**VALID_SIGNATURE, **embed_fields(client)})
    fields = {**VALID_SIGNATURE, **embed_fields(client), "email": "second@example.org"}
    response = client.post("/embed/sign", data=fields)
    assert response.status_code == 429 and response.headers["Retry-After"]
    assert 'action="/embed/sign"' in response.text
    assert_framed_by_partners(response)


# --- cached like every public page ----------------------------------------------------


@pytest.mark.parametrize("path", ["/embed", "/de/embed?source=partner:test", "/embed/thank-you"])
def test_the_embed_is_the_same_for_everyone_and_cacheable(app_factory, path):
    app = app_factory(EMBED_ORIGINS=PARTNERS, PUBLIC_CACHE_MAX_AGE=30, PUBLIC_CACHE_S_MAXAGE=90)
    first = app.test_client().get(path, headers={"Accept-Language": "ru"})
    second = app.test_client().get(path, headers={"Accept-Language": "de"})
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and "Set-Cookie" not in first.headers
    assert (
        "public" in first.headers["Cache-Control"]
        and "s-maxage=90" in first.headers["Cache-Control"]
    )
    again = app.test_client().get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_the_memory_cache_keeps_one_embed_per_source_with_its_headers(app_factory):
    app = app_factory(EMBED_ORIGINS=PARTNERS, PUBLIC_CACHE_SECONDS=60)
    views = []
    app.before_request(lambda: views.append(1))
    client = app.test_client()
    first = client.get("/embed?source=partner:one")
    repeat = client.get("/embed?source=partner:one&utm_medium=x")
    other = client.get("/embed?source=partner:two")
    assert len(views) == 2  # the repeat came from memory
    assert repeat.data == first.data and 'value="partner:one"' in repeat.text
    assert 'value="partner:two"' in other.text
    assert_framed_by_partners(repeat)
    counted = client.get("/api/count")
    assert client.get("/api/count").headers["Access-Control-Allow-Origin"] == "*"
    assert counted.headers["Cross-Origin-Resource-Policy"] == "cross-origin"


# --- the admin's snippets -------------------------------------------------------------


def test_the_partners_page_needs_an_admin(embed_app):
    response = embed_app.test_client().get("/admin/partners")
    assert response.status_code in (302, 303)
    assert "/admin/login" in response.headers["Location"]


def test_the_admin_gets_snippets_with_the_partners_source(embed_app):
    client = logged_in(embed_app)
    page = client.get("/admin/partners")
    assert page.status_code == 200
    assert (
        "https://partner.example.org" in page.text and "https://other.example.net:8443" in page.text
    )
    assert "EMBED_ORIGINS" in page.text

    page = client.get("/admin/partners?code=amnesty-de&language=de")
    assert page.status_code == 200
    textareas = re.findall(r"<textarea[^>]*readonly[^>]*>(.*?)</textarea>", page.text, re.S)
    iframe, badge = (html.unescape(snippet) for snippet in textareas)
    assert '<iframe src="http://localhost/de/embed?source=partner:amnesty-de"' in iframe
    assert 'title="Gerechtigkeit für Sergei Magnitsky: Petition unterschreiben"' in iframe
    assert '<img src="http://localhost/de/badge.svg"' in badge
    assert 'href="http://localhost/de/?source=partner:amnesty-de"' in badge


@pytest.mark.parametrize("code", ["", "with space", "<script>", "x" * 60, "ünïcode"])
def test_a_bad_partner_code_gets_a_clear_error_and_no_snippet(embed_app, code):
    client = logged_in(embed_app)
    page = client.get("/admin/partners", query_string={"code": code, "language": "en"})
    assert page.status_code == 422
    assert 'class="error-summary"' in page.text
    assert "<textarea" not in page.text
    assert "<script>" not in page.text


def test_the_dashboard_links_to_the_partners_page_and_settings_name_the_origins(embed_app):
    admin = logged_in(embed_app)
    assert 'href="/admin/partners"' in admin.get("/admin/").text
    assert "https://partner.example.org" in admin.get("/admin/settings").text


def logged_in(app):
    """A browser logged in as a fresh admin of this app."""
    email, password = "partners-admin@example.org", "a long partners passphrase"
    result = app.test_cli_runner().invoke(args=["create-admin", email], input=password + "\n")
    assert result.exit_code == 0, result.output
    client = app.test_client()
    assert log_in(client, email, password).status_code == 303
    return client


# --- what the embedded form says ---------------------------------------------------


def test_the_embed_says_whom_the_petition_addresses_and_what_it_asks(app):
    english = app.test_client().get("/embed").text
    assert "The Test Assembly (a test value)" in english
    assert "held to account before an independent court" in english
    assert english.index("held to account") < english.index('id="sign-title"')
    german = app.test_client().get("/de/embed").text
    assert "An:" in german and "held to account" not in german and "Gericht" in german
