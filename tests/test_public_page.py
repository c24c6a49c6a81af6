"""A visitor reads the campaign page, sees the count, and the site reports its health."""

import re

import pytest
from support import sign_and_confirm


def test_page_tells_the_story_and_presents_both_films(client):
    html = client.get("/").get_data(as_text=True)
    for fact in [
        "Sergei Magnitsky",
        "$230 million",
        "November 2009",
        "aged 37",
        "Justice for Sergei",
        "62 minutes",
        "Cinema for Peace Award for Justice",
        "Docudays UA, Kyiv, 2011",
        "The Magnitsky Files",
        "Capitol Hill",
        "June 2012",
        "Autumn 2011",
        "Accountability Act of 2011",
        "February 2012",
    ]:
        assert fact in html, fact


@pytest.mark.parametrize("misspelling", ["Magnitzky", "Capital Hill", "Kiev"])
def test_page_spells_names_correctly(client, misspelling):
    assert misspelling not in client.get("/").get_data(as_text=True)


def test_page_has_no_inline_script_or_style_and_works_without_javascript(client):
    html = client.get("/").get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    # One file of our own, deferred; the JSON-LD block is data that no browser executes.
    executable = [attrs for attrs, _ in scripts if "application/ld+json" not in attrs]
    assert len(executable) == 1 and re.search(
        r'src="/static/js/site\.[0-9a-f]{10}\.js" defer', executable[0]
    )
    assert all(body == "" for attrs, body in scripts if "application/ld+json" not in attrs)
    assert "style=" not in html
    assert re.search(r'<form [^>]*method="post" action="/sign', html)


def test_page_shows_the_count_and_progress_toward_the_goal(app, client):
    sign_and_confirm(app, client, email="one@example.org")
    sign_and_confirm(app, client, email="two@example.org")
    html = client.get("/").get_data(as_text=True)
    assert re.search(
        r"<strong data-count>2</strong> <span data-count-phrase>people have signed</span>", html
    )
    goal = app.config["SIGNATURE_GOAL"]
    assert f'max="{goal}" value="2"' in html
    assert f"goal of {goal:,} signatures" in html


def test_count_api_returns_count_and_goal(app, client):
    sign_and_confirm(app, client)
    response = client.get("/api/count")
    assert response.status_code == 200
    assert response.get_json() == {
        "count": 1,
        "goal": app.config["SIGNATURE_GOAL"],
        "countries": {"other": 1},  # fewer than PUBLIC_COUNTRY_MIN: tests/test_delivery.py
        "closed": False,  # tests/test_closing.py
    }


def test_progress_bar_stays_full_when_goal_is_passed(app_factory):
    app = app_factory(SIGNATURE_GOAL=1)
    client = app.test_client()
    sign_and_confirm(app, client, email="a@example.org")
    sign_and_confirm(app, client, email="b@example.org")
    assert 'max="1" value="1"' in client.get("/").get_data(as_text=True)


def test_health_check_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "details": {
            "database": "ok",
            "rate_limit_store": "ok",
            "last_backup": "never",
            "backup_overdue": True,
        },
    }


def test_health_check_reports_unavailable_database(tmp_path):
    from campaign_site import create_app

    # A SQLite file in a folder that does not exist cannot be opened.
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/x.db"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"
    assert response.get_json()["details"]["database"] == "unavailable"


def test_unknown_page_gets_a_readable_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_wrong_method_gets_a_readable_405(client):
    response = client.get("/sign")
    assert response.status_code == 405
    assert "Not allowed here" in response.get_data(as_text=True)


def test_count_api_may_be_cached_briefly_by_a_cdn(client):
    cache_control = client.get("/api/count").headers["Cache-Control"]
    assert "public" in cache_control and "max-age=" in cache_control


def test_cached_count_catches_up_when_the_cache_expires(app_factory, monkeypatch):
    import time

    app = app_factory(PUBLIC_CACHE_SECONDS=5)
    client = app.test_client()
    assert "<strong data-count>0</strong>" in client.get("/").get_data(as_text=True)
    sign_and_confirm(app, client)
    assert "<strong data-count>0</strong>" in client.get("/").get_data(
        as_text=True
    )  # still the cached page

    later = time.monotonic() + 6
    monkeypatch.setattr("campaign_site.petition.short_cache.time.monotonic", lambda: later)
    assert (
        "<strong data-count>1</strong> <span data-count-phrase>person has signed</span>"
        in client.get("/").get_data(as_text=True)
    )
    assert client.get("/api/count").get_json()["count"] == 1
