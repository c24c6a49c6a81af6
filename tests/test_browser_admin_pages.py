"""The admin pages added for organisers, in Chromium: logged in with a code, no axe
violations at phone size, nothing wider than the phone."""

import browser_support
import pytest
from browser_support import PHONE, LiveSite, axe_violations, screenshot
from playwright.sync_api import Browser, expect
from support import sign_and_confirm

pytestmark = pytest.mark.browser
browser = browser_support.browser  # the same Chromium fixture, by name

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


def problems_on(page, name: str) -> dict:
    """axe's violations and any overflow past a phone's width on the page shown, by what is
    wrong; a screenshot named `name` either way."""
    problems = {}
    violations = axe_violations(page, name)
    if violations:
        problems[name] = violations
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        problems[name + " (width)"] = width
    screenshot(page, name)
    return problems


def test_the_organisers_pages_have_no_axe_violations(site: LiveSite, browser: Browser):
    page = browser.new_context(viewport=PHONE).new_page()
    site.log_in_admin(page)
    problems = {}
    for path in PAGES:
        page.goto(site.url + path)
        problems |= problems_on(page, "admin-" + path.rsplit("/", 1)[1])
    page.context.close()
    assert problems == {}


def test_an_update_written_in_the_browser_is_previewed_and_sent_without_axe_violations(
    site: LiveSite, browser: Browser
):
    client = site.app.test_client()
    sign_and_confirm(site.app, client, email="reader@example.org", keep_informed="y")
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
    problems = problems_on(page, "admin-update-draft")
    page.get_by_role("button", name="Send to 1 supporter", exact=True).click()
    expect(page.get_by_text("Sending to 1 supporter.")).to_be_visible()
    problems |= problems_on(page, "admin-update-sending")  # the figures' table
    page.goto(site.url + "/admin/")
    problems |= problems_on(page, "admin-dashboard-updates")
    page.context.close()
    assert problems == {}
