"""The dashboard's charts in Chromium, on a phone and a desktop: named for screen readers,
their numbers a click away, nothing wider than the phone, and no axe-core violations.

Screenshots land in test-artifacts/screenshots/admin-charts-*.png.
"""

import json
from datetime import UTC, datetime, timedelta

import browser_support
import pytest
from browser_support import (
    ARTIFACTS,
    DESKTOP,
    PHONE,
    LiveSite,
    axe_violations,
    fill_petition,
)
from playwright.sync_api import Browser, Page, expect

from campaign_site.extensions import db
from campaign_site.petition import tallies

pytestmark = pytest.mark.browser
browser = browser_support.browser  # the same Chromium fixture, by name

SOURCES = ["", "newsletter", "festival-berlin", "partner:amnesty-de-2026-screening-tour"]
COUNTRIES = ["DE", "UA", "GB", "FR", "PL", "LT", "US", "GS", "NL", "SE", "CZ", "GE"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A site with two weeks of signatures in its tally and one real signature."""
    live = LiveSite(tmp_path_factory.mktemp("charts"))
    now = datetime.now(UTC)
    with live.app.app_context():
        for hours_ago in range(0, 14 * 24, 5):
            for n, country in enumerate(COUNTRIES):
                signed = (hours_ago * 7 + n * 13) % 23 + (40 if hours_ago < 30 else 0)
                tallies.add(
                    tallies.Key(
                        now - timedelta(hours=hours_ago),
                        SOURCES[(hours_ago + n) % len(SOURCES)],
                        country,
                        "en",
                    ),
                    signed=signed,
                    confirmed=signed * 2 // 3,
                )
        db.session.commit()
    yield live
    live.stop()


def open_dashboard(site: LiveSite, browser: Browser, viewport: dict) -> Page:
    """The signatures page, where the charts are (the dashboard links to it)."""
    page = browser.new_context(viewport=viewport).new_page()
    site.log_in_admin(page)
    page.goto(site.url + "/admin/signatures")
    return page


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_charts_have_names_tables_and_no_axe_violations(
    site: LiveSite, browser: Browser, viewport: dict
):
    page = open_dashboard(site, browser, viewport)
    label = f"admin-charts-{viewport['width']}x{viewport['height']}"
    for name in (
        "Signatures per hour, the last 72 hours (UTC)",
        "Signatures per day since the first signature (UTC)",
        "Signatures by source",
        "Signatures by country",
    ):
        expect(page.get_by_role("img", name=name)).to_be_visible()
    page.get_by_text("Signatures per hour, the last 72 hours (UTC): the numbers").click()
    expect(page.locator("#chart-hours table")).to_be_visible()
    expect(page.locator("#chart-sources table")).to_be_visible()  # always shown
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    violations = axe_violations(page, label)
    assert violations == [], json.dumps(violations, indent=2)
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.locator("#charts-title").scroll_into_view_if_needed()
    page.screenshot(path=folder / f"{label}.png", full_page=True)
    page.locator(".charts").screenshot(path=folder / f"{label}-section.png")
    page.context.close()


def test_a_signature_made_in_the_browser_shows_in_this_hour(site: LiveSite, browser: Browser):
    visitor = browser.new_context(viewport=PHONE).new_page()
    visitor.goto(site.url + "/?source=qr-poster")
    fill_petition(visitor, "Chart Reader", "chart-reader@example.org")
    visitor.click("button[type=submit]")
    visitor.context.close()
    page = open_dashboard(site, browser, DESKTOP)
    row = page.locator("#chart-sources tbody tr", has_text="qr-poster")
    expect(row.locator("td")).to_have_text(["qr-poster", "1", "0", "0.0%"])
    page.context.close()
