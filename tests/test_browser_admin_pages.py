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
    "/admin/updates",
    "/admin/updates/new",
    "/admin/fraud",
    "/admin/review",
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


def test_an_update_written_in_the_browser_is_previewed_without_axe_violations(
    site: LiveSite, browser: Browser
):
    page = browser.new_context(viewport=PHONE).new_page()
    site.log_in_admin(page)
    page.goto(site.url + "/admin/updates/new")
    page.get_by_label("Subject in English").fill("Screenings this winter")
    page.get_by_label("Message in English").fill(
        "Dear supporters,\n\nJustice for Sergei is shown in Kyiv: https://example.org/kyiv"
    )
    page.get_by_label("Subject in German").fill("Vorführungen in diesem Winter")
    page.get_by_label("Message in German").fill("Liebe Unterstützer,\n\nes gibt neue Termine.")
    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_url("**/admin/updates/*")
    assert "Vorführungen in diesem Winter" in page.content()
    problems = {}
    for name in ("admin-update-draft", "admin-dashboard-updates"):
        if name == "admin-dashboard-updates":
            page.goto(site.url + "/admin/")
        violations = axe_violations(page, name)
        if violations:
            problems[name] = violations
        if page.evaluate("document.documentElement.scrollWidth") > PHONE["width"]:
            problems[name + " (width)"] = page.evaluate("document.documentElement.scrollWidth")
        screenshot(page, name)
    page.context.close()
    assert problems == {}
