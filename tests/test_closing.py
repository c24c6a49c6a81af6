"""A petition that closes well: from PETITION_CLOSES_AT on, every public page and the embed
say "closed on DATE with N signatures" with the next step, signing answers 410 and stores
nothing, /api/count says so, and confirmation links keep working CLOSING_GRACE_DAYS."""

import time
from datetime import timedelta

import pytest
from support import VALID_SIGNATURE, sign, stored_signatures

from campaign_site import create_app
from campaign_site.extensions import db
from campaign_site.models import Signature, utcnow
from campaign_site.petition import link_tokens

CLOSED = "This petition closed on"
NEXT_STEP = "https://example.org/next-step"


def closed_app(app_factory, days_ago: float = 1, **settings):
    return app_factory(PETITION_CLOSES_AT=utcnow() - timedelta(days=days_ago), **settings)


def confirm_links(app) -> list[str]:
    """The confirmation links the pending signatures were mailed."""
    with app.app_context():
        pending = db.session.scalars(db.select(Signature).where(Signature.is_pending)).all()
        links = [f"/confirm/{link_tokens.make_token(s, link_tokens.CONFIRM)}" for s in pending]
        db.session.rollback()
    return links


def test_before_the_close_the_count_says_open_and_the_form_is_there(app_factory):
    app = app_factory(PETITION_CLOSES_AT=utcnow() + timedelta(days=3))
    client = app.test_client()
    assert client.get("/api/count").get_json()["closed"] is False
    page = client.get("/").get_data(as_text=True)
    assert 'action="/sign"' in page
    assert CLOSED not in page
    assert app_factory().test_client().get("/api/count").get_json()["closed"] is False


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/", "January"),
        ("/privacy", "January"),
        ("/thank-you", "January"),
        ("/embed", "January"),
        ("/de/", "Januar"),
        ("/ru/safety", "января"),
    ],
)
def test_after_the_close_every_page_says_when_with_how_many_and_what_next(app_factory, path, words):
    app = app_factory(PETITION_CLOSES_AT=utcnow().replace(year=2026, month=1, day=15, hour=12))
    client = app.test_client()
    page = client.get(path).get_data(as_text=True)
    assert "15" in page and words in page
    assert NEXT_STEP in page
    assert 'action="/sign"' not in page and 'action="/embed/sign"' not in page
    if not path.startswith(("/de", "/ru")):
        assert f"{CLOSED} January 15, 2026 with 0 signatures." in page


def test_the_closed_notice_gives_the_count_of_public_figures(app_factory):
    open_app = app_factory(PETITION_CLOSES_AT=utcnow() + timedelta(hours=1))
    for number in range(2):
        sign(open_app.test_client(), email=f"early{number}@example.org")
    links = confirm_links(open_app)
    app = closed_app(app_factory, days_ago=1)
    client = app.test_client()
    for link in links:  # mailed before the close, opened within CLOSING_GRACE_DAYS
        assert client.get(link).status_code == 200
    assert "with 2 signatures." in client.get("/").get_data(as_text=True)
    assert "mit 2 Unterschriften" in client.get("/de/privacy").get_data(as_text=True)
    assert client.get("/api/count").get_json() | {"countries": None} == {
        "count": 2,
        "goal": app.config["SIGNATURE_GOAL"],
        "closed": True,
        "countries": None,
    }


@pytest.mark.parametrize("form_path", ["/sign", "/embed/sign", "/de/sign", "/uk/embed/sign"])
def test_a_signature_sent_after_the_close_is_refused_with_410_and_not_stored(
    app_factory, form_path
):
    app = closed_app(app_factory, days_ago=0.001)
    response = app.test_client().post(form_path, data=VALID_SIGNATURE)
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    if form_path.startswith("/de"):
        assert "Diese Petition wurde am" in page
    elif form_path.startswith("/uk"):
        assert 'lang="uk"' in page and CLOSED not in page
    else:
        assert CLOSED in page
    assert stored_signatures(app) == []


def test_closed_wins_over_launching_soon_and_the_pause(app_factory, tmp_path):
    app = closed_app(app_factory, SIGNING_PAUSED=True)
    client = app.test_client()
    assert CLOSED in client.get("/").get_data(as_text=True)
    assert client.post("/sign", data=VALID_SIGNATURE).status_code == 410
    launching = closed_app(
        app_factory, WAIT_FOR_CONTENT=True, CONTENT_FILE="content/campaign.toml"
    ).test_client()
    assert CLOSED in launching.get("/").get_data(as_text=True)
    assert launching.post("/sign", data=VALID_SIGNATURE).status_code == 410


def test_confirmation_links_work_for_the_grace_days_then_say_it_closed(app_factory):
    open_app = app_factory(PETITION_CLOSES_AT=utcnow() + timedelta(minutes=5))
    sign(open_app.test_client())
    sign(open_app.test_client(), email="second@example.org")
    first, second = confirm_links(open_app)

    late = closed_app(app_factory, days_ago=8).test_client()  # CLOSING_GRACE_DAYS is 7
    response = late.get(first)
    assert response.status_code == 410
    assert "This petition has closed" in response.get_data(as_text=True)
    assert late.get("/api/count").get_json()["count"] == 0

    longer = closed_app(app_factory, days_ago=8, CLOSING_GRACE_DAYS=10).test_client()
    assert longer.get(second).status_code == 200
    assert longer.get("/api/count").get_json()["count"] == 1
    assert "Diese Petition ist beendet" in late.get("/de" + first).get_data(as_text=True)


def test_pages_are_not_kept_by_any_cache_past_the_close(app_factory):
    app = app_factory(
        PETITION_CLOSES_AT=utcnow() + timedelta(seconds=1.5),
        PUBLIC_CACHE_SECONDS=60,
        PUBLIC_CACHE_MAX_AGE=300,
        PUBLIC_CACHE_S_MAXAGE=600,
    )
    client = app.test_client()
    before = client.get("/")
    assert 'action="/sign"' in before.get_data(as_text=True)
    assert before.cache_control.max_age <= 2 and before.cache_control.s_maxage <= 2
    time.sleep(1.6)
    after = client.get("/")
    assert CLOSED in after.get_data(as_text=True)
    assert client.get("/api/count").get_json()["closed"] is True
    # Once closed, the page cannot change back: the usual periods again.
    assert after.cache_control.max_age == 300 and after.cache_control.s_maxage == 600


def test_the_old_name_of_the_setting_is_refused_not_ignored(monkeypatch):
    monkeypatch.setenv("CAMPAIGN_CLOSES_AT", "2026-01-01T00:00:00Z")
    with pytest.raises(RuntimeError, match="PETITION_CLOSES_AT"):
        create_app()
