"""The admin pages added for organisers, in Chromium: logged in with a code, no axe
violations at phone size, nothing wider than the phone."""

import pytest
import test_browser
from playwright.sync_api import Browser
from test_browser import PHONE, LiveSite, axe_violations, screenshot

pytestmark = pytest.mark.browser
browser = test_browser.browser  # the same Chromium fixture, by name

PAGES = [
    "/admin/notice",
    "/admin/paper",
    "/admin/delivery",
    "/admin/events",
    "/admin/partners",
    "/admin/audit",
    "/admin/accounts",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    live = LiveSite(tmp_path_factory.mktemp("admin-pages"))
    yield live
    live.stop()


def test_the_organisers_pages_have_no_axe_violations(site: LiveSite, browser: Browser):
    page = browser.new_context(viewport=PHONE).new_page()
    site.log_in_admin(page)
    problems = {}
    for path in PAGES:
        page.goto(site.url + path)
        name = "admin-" + path.rsplit("/", 1)[1]
        violations = axe_violations(page, name)
        if violations:
            problems[path] = violations
        if page.evaluate("document.documentElement.scrollWidth") > PHONE["width"]:
            problems[path + " (width)"] = page.evaluate("document.documentElement.scrollWidth")
        screenshot(page, name)
    page.context.close()
    assert problems == {}
