"""Organisers allow and remove partner sites on /admin/partners: the embed's frame-ancestors
follow on every worker without a restart; EMBED_ORIGINS stays the operators' fixed list."""

import re
import time

import pytest
from markupsafe import escape
from support import csrf_token_from, logged_in_admin

from campaign_site.accounts.audit import Action
from campaign_site.extensions import db
from campaign_site.models import AdminAudit

FIXED = "https://fixed.example.org"
PARTNER = "https://partner.example.net:8443"


def frame_ancestors(response) -> list[str]:
    policy = response.headers["Content-Security-Policy"]
    return re.search(r"frame-ancestors ([^;]*)", policy).group(1).split()


def add_site(client, origin: str):
    token = csrf_token_from(client.get("/admin/partners").text)
    return client.post("/admin/partners/sites", data={"origin": origin, "csrf_token": token})


def remove_site(client, origin: str):
    token = csrf_token_from(client.get("/admin/partners").text)
    return client.post("/admin/partners/sites/remove", data={"origin": origin, "csrf_token": token})


def audited(app) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            db.select(AdminAudit.action, AdminAudit.detail).order_by(AdminAudit.id)
        )
        return [(action, detail) for action, detail in rows if action.startswith("partner")]


@pytest.fixture
def workers(app_factory):
    """Two workers of one site (two apps on one database), each with its short cache."""
    return app_factory(EMBED_ORIGINS=FIXED), app_factory(EMBED_ORIGINS=FIXED)


def test_an_added_site_may_frame_the_embed_on_every_worker_and_a_removed_one_not(workers):
    first, second = workers
    client = logged_in_admin(first)
    assert PARTNER not in frame_ancestors(second.test_client().get("/embed"))

    answer = add_site(client, "HTTPS://Partner.Example.net:8443/")
    assert answer.status_code == 303
    framed = second.test_client().get("/de/embed?source=partner:x")
    assert frame_ancestors(framed) == ["'self'", FIXED, PARTNER]
    assert "X-Frame-Options" not in framed.headers

    assert remove_site(client, PARTNER).status_code == 303
    assert frame_ancestors(second.test_client().get("/embed")) == ["'self'", FIXED]
    assert audited(first) == [
        (Action.PARTNER_SITE_ADDED, PARTNER),
        (Action.PARTNER_SITE_REMOVED, PARTNER),
    ]


def test_the_page_lists_fixed_sites_as_fixed_and_added_ones_with_a_remove_button(workers):
    client = logged_in_admin(workers[0])
    add_site(client, PARTNER)
    page = client.get("/admin/partners").text
    assert f"<code>{FIXED}</code> (fixed)" in page
    assert f'name="origin" value="{PARTNER}"' in page
    assert f'name="origin" value="{FIXED}"' not in page  # no Remove button for a fixed one


def test_a_fixed_site_cannot_be_removed(workers):
    first, _ = workers
    client = logged_in_admin(first)
    answer = remove_site(client, FIXED)
    assert answer.status_code == 303
    assert "nothing was changed" in client.get(answer.headers["Location"]).text
    assert FIXED in frame_ancestors(first.test_client().get("/embed"))
    assert audited(first) == []


@pytest.mark.parametrize(
    "entry",
    [
        "partner.example.org",
        "https://partner.example.org/petition",
        "https://*.example.org",
        "http://partner.example.org",
        "https://partner.example.org:99999",
        "'self'",
        "https://partner.example.org;script-src *",
    ],
)
def test_a_bad_origin_is_refused_with_the_settings_own_message(app_factory, entry):
    from campaign_site.config import embed_origin

    app = app_factory()
    with pytest.raises(ValueError) as setting_says:
        embed_origin(entry, production=False)
    client = logged_in_admin(app)
    answer = add_site(client, entry)
    assert answer.status_code == 422
    assert str(escape(str(setting_says.value))) in answer.text
    assert f'value="{escape(entry)}"' in answer.text  # what was typed stays
    assert frame_ancestors(app.test_client().get("/embed")) == ["'self'"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [("", "Type the partner&#39;s site"), (FIXED, "already allowed by EMBED_ORIGINS")],
)
def test_an_empty_or_fixed_origin_gets_a_clear_error(workers, entry, message):
    client = logged_in_admin(workers[0])
    answer = add_site(client, entry)
    assert answer.status_code == 422 and message in answer.text


def test_adding_a_site_twice_says_so_and_keeps_one(workers):
    client = logged_in_admin(workers[0])
    add_site(client, PARTNER)
    answer = add_site(client, PARTNER)
    assert answer.status_code == 422 and "already on the list" in answer.text
    assert frame_ancestors(workers[1].test_client().get("/embed")).count(PARTNER) == 1


def test_changing_the_sites_needs_the_csrf_token(workers):
    client = logged_in_admin(workers[0])
    assert client.post("/admin/partners/sites", data={"origin": PARTNER}).status_code == 400


def test_the_snippets_come_with_a_preview_this_origin_may_frame(workers):
    client = logged_in_admin(workers[0])
    page = client.get("/admin/partners?code=amnesty-de&language=de")
    assert (
        '<iframe class="partner-preview" src="/de/embed?source=partner%3Aamnesty-de"' in page.text
    )
    assert "frame-src 'self'" in page.headers["Content-Security-Policy"]
    assert 'data-copy-snippet="snippet-iframe"' in page.text and "copy-snippets" in page.text
    assert "<script>" not in page.text
    preview = client.get("/de/embed?source=partner%3Aamnesty-de")
    assert preview.status_code == 200 and "'self'" in frame_ancestors(preview)


def test_a_worker_with_a_short_cache_follows_once_it_runs_out(app_factory, monkeypatch):
    """PUBLIC_CACHE_SECONDS: the other worker keeps what it read (list and page) until then."""
    first = app_factory(EMBED_ORIGINS=FIXED)
    second = app_factory(EMBED_ORIGINS=FIXED, PUBLIC_CACHE_SECONDS=60)
    assert PARTNER not in frame_ancestors(second.test_client().get("/embed/thank-you"))
    assert add_site(logged_in_admin(first), PARTNER).status_code == 303
    assert PARTNER not in frame_ancestors(second.test_client().get("/embed/thank-you"))
    later = time.monotonic() + 61
    monkeypatch.setattr(time, "monotonic", lambda: later)
    assert PARTNER in frame_ancestors(second.test_client().get("/embed/thank-you"))
