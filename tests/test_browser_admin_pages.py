"""The admin pages added for organisers, in Chromium: logged in with a code, no axe
violations at phone size, nothing wider than the phone."""

import browser_support
import pytest
from browser_support import DESKTOP, PHONE, LiveSite, axe_violations, screenshot
from playwright.sync_api import Browser, expect
from support import sign_and_confirm

pytestmark = pytest.mark.browser
browser = browser_support.browser  # the same Chromium fixture, by name

PAGES = [
    "/admin/notice",
    "/admin/paper",
    "/admin/delivery",
    "/admin/delivery?language=de&handed_on=2026-03-14&place=Bundestag%2C+Berlin",
    "/admin/events",
    "/admin/partners",
    "/admin/audit",
    "/admin/accounts",
    "/admin/updates",
    "/admin/updates/new",
    "/admin/fraud",
    "/admin/review",
    "/admin/signing",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    live = LiveSite(tmp_path_factory.mktemp("admin-pages"))
    yield live
    live.stop()


OVERVIEW_PAGES = ["/admin/", "/admin/signatures", "/admin/export", "/admin/settings", "/admin/help"]


def problems_on(page, name: str) -> dict:
    """axe's violations and any overflow past a phone's width on the page shown, by what is
    wrong; a screenshot named `name` either way."""
    problems = {}
    violations = axe_violations(page, name)
    if violations:
        problems[name] = violations
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > page.viewport_size["width"]:
        problems[name + " (width)"] = width
    screenshot(page, name)
    return problems


def test_the_organisers_pages_have_no_axe_violations(site: LiveSite, browser: Browser):
    page = browser.new_context(viewport=PHONE).new_page()
    site.log_in_admin(page)
    problems = {}
    for path in PAGES:
        page.goto(site.url + path)
        problems |= problems_on(page, "admin-" + path.rsplit("/", 1)[1].split("?")[0])
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
    page.get_by_role("button", name="Continue to sending").click()
    expect(page.get_by_role("heading", name="Send update")).to_contain_text("to 1 supporter?")
    problems |= problems_on(page, "admin-update-confirm")
    page.set_viewport_size(DESKTOP)
    if violations := axe_violations(page, "admin-update-confirm-desktop"):
        problems["admin-update-confirm (desktop)"] = violations
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Send to 1 supporter", exact=True).click()
    expect(page.get_by_text("Sending to 1 supporter.")).to_be_visible()
    problems |= problems_on(page, "admin-update-sending")  # the figures' table
    page.goto(site.url + "/admin/")
    problems |= problems_on(page, "admin-dashboard-updates")
    page.context.close()
    assert problems == {}


def test_the_delivery_pack_events_and_a_poster_at_both_sizes(site: LiveSite, browser: Browser):
    """The pack in German and Russian, the events page and a German poster with a time and
    venue: no axe violations on a phone or a desktop, and nothing wider than the screen."""
    from datetime import date, time

    from campaign_site.petition import events

    client = site.app.test_client()
    sign_and_confirm(site.app, client, email="olga@example.org", country="DE")
    with site.app.app_context():
        event = events.create(
            events.NewEvent(
                title="Filmabend mit Gespräch",
                city="Berlin",
                starts_on=date(2026, 12, 10),
                film="justice",
                language="de",
                starts_at=time(19, 30),
                venue="Kino Babylon, Rosa-Luxemburg-Straße 30",
            )
        )
    pages = {
        "delivery-de": "/admin/delivery?language=de&handed_on=2026-03-14&place=Bundestag",
        "delivery-ru": "/admin/delivery?language=ru&handed_on=2026-03-14&place=Берлин",
        "events": "/admin/events",
        "poster-de": f"/admin/events/{event.id}/poster",
    }
    problems = {}
    for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page = browser.new_context(viewport=size).new_page()
        site.log_in_admin(page)
        for name, path in pages.items():
            page.goto(site.url + path)
            shot = f"admin-{name}-{size_name}"
            violations = axe_violations(page, shot)
            if violations:
                problems[shot] = violations
            if page.evaluate("document.documentElement.scrollWidth") > size["width"]:
                problems[shot + " (width)"] = "wider than the screen"
            if size is PHONE:  # screenshot() itself shoots both sizes
                screenshot(page, f"admin-{name}")
        page.context.close()


@pytest.mark.parametrize("size", ["375x812", "1440x900"])
def test_the_overview_and_its_sections_have_no_axe_violations(
    site: LiveSite, browser: Browser, size: str
):
    sign_and_confirm(site.app, site.app.test_client(), email="counted@example.org")
    page = browser.new_context(viewport=PHONE if size == "375x812" else DESKTOP).new_page()
    site.log_in_admin(page)
    problems = {}
    for path in OVERVIEW_PAGES:
        page.goto(site.url + path)
        name = "admin-overview-" + (path.removeprefix("/admin/") or "dashboard")
        problems |= problems_on(page, name)  # screenshots at both sizes either way
    page.context.close()
    assert problems == {}
