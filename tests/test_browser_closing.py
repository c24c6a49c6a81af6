"""The petition closing while a supporter fills in the form, in Chromium: the form sent a
moment after the close is refused (410) with the closed notice in its place, and the page
then says "closed on DATE with N signatures", with no axe violations."""

from datetime import timedelta

import browser_support
import pytest
from browser_support import PHONE, LiveSite, axe_violations, fill_petition, screenshot
from playwright.sync_api import Browser, expect

from campaign_site.models import utcnow

pytestmark = pytest.mark.browser
browser = browser_support.browser  # the same Chromium fixture, by name

SECONDS_OPEN = 8


def test_a_signature_sent_after_the_close_is_refused_and_the_page_says_closed(
    tmp_path, browser: Browser
):
    closes_at = utcnow() + timedelta(seconds=SECONDS_OPEN)
    site = LiveSite(tmp_path, PETITION_CLOSES_AT=closes_at)
    try:
        page = browser.new_context(viewport=PHONE).new_page()
        page.goto(site.url + "/")
        fill_petition(page, "Late Comer", "late@example.org")
        page.wait_for_timeout(max(0, (closes_at - utcnow()).total_seconds() * 1000) + 300)
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Sign the petition").last.click()
        assert navigation.value is not None and navigation.value.status == 410
        notice = page.locator("#signing-closed")
        expect(notice).to_contain_text("This petition closed on")
        expect(notice).to_contain_text("with 0 signatures")
        expect(page.locator("form.sign__form")).to_have_count(0)
        screenshot(page, "closed-refused")

        page.goto(site.url + "/de/")
        expect(page.locator("#signing-closed")).to_contain_text("Diese Petition wurde am")
        assert axe_violations(page, "closed-page-de") == []
        count = page.evaluate("fetch('/api/count').then(r => r.json())")
        assert count["closed"] is True and count["count"] == 0
    finally:
        site.stop()
