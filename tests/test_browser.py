"""End to end in a real browser: Debian's Chromium, driven by Playwright, against the app
served on loopback by a real HTTP server (CSRF on, migrations applied, mail written to files).

Screenshots (375x812 and 1440x900) and axe-core reports land in test-artifacts/.
`make test` installs Chromium and axe-core first; a missing browser fails, it never skips.
"""

import csv
import io
import json
import re
from pathlib import Path

import browser_support
import pytest
from browser_support import (
    CHROMIUM,
    DESKTOP,
    PHONE,
    LiveSite,
    axe_violations,
    fill_petition,
    screenshot,
    shown_count,
)
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser
# The shared fixtures, by name: one Chromium and one live site for this module.
browser = browser_support.browser
page = browser_support.page
site = browser_support.site


def test_read_sign_confirm_and_see_the_count_go_up(site: LiveSite, page: Page):
    page.goto(site.url + "/")
    expect(page.locator("h1")).to_contain_text("Sergei Magnitsky")
    expect(page.locator("#story")).to_contain_text("$230 million")
    expect(page.locator("#films")).to_contain_text("The Magnitsky Files")
    expect(page.locator("#films")).to_contain_text("Capitol Hill")
    before = shown_count(page)
    screenshot(page, "home")

    fill_petition(page, "Natalia Ivanova", "natalia@example.org", show_name=True)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(re.escape(site.url) + r"/thank-you(#sign)?$"))
    expect(page.locator("h1")).to_contain_text("Thank you")
    screenshot(page, "thank-you")

    page.goto(site.link_sent_to("natalia@example.org", "/confirm/"))
    expect(page.locator("h1")).to_contain_text("confirmed")
    page.goto(site.url + "/")  # may be the browser's copy (max-age), but the count is asked for
    expect(page.locator("[data-count]")).to_have_text(f"{before + 1:,}")
    page.reload()  # a reload revalidates the page itself
    expect(page.locator(".recent")).to_contain_text("Natalia, Germany")


def test_bad_form_shows_errors_announced_and_focused(site: LiveSite, page: Page):
    page.goto(site.url + "/")
    page.fill("#given_name", "Someone")
    page.fill("#email", "not an address")
    page.click("button[type=submit]")

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile("^Error: "))
    email_input = page.locator("#email")
    expect(email_input).to_have_attribute("aria-invalid", "true")
    expect(email_input).to_have_value("not an address")  # what was typed is kept
    described = email_input.get_attribute("aria-describedby").split()
    expect(page.locator(f"#{described[-1]}")).to_contain_text("email")
    summary.locator("a[href='#email']").click()
    expect(email_input).to_be_focused()
    screenshot(page, "form-errors")


def test_sign_with_javascript_off(site: LiveSite, browser: Browser):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(site.url + "/")
        fill_petition(page, "Offline Reader", "nojs@example.org")
        page.click("button[type=submit]")
        expect(page).to_have_url(re.compile(re.escape(site.url) + r"/thank-you(#sign)?$"))
        page.goto(site.url + "/")
        page.click("button[type=submit]")  # empty form: the server's errors, with no script
        expect(page.locator("#error-summary")).to_be_visible()
    finally:
        context.close()
    assert site.link_sent_to("nojs@example.org", "/confirm/")


def test_keyboard_only_signing_with_visible_focus(site: LiveSite, page: Page):
    page.goto(site.url + "/")
    for _ in range(60):  # Tab from the top of the page to the first field, as a keyboard user would
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "given_name":
            break
    else:
        pytest.fail("Tab never reached the given name field")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), "focus is not visible"
    page.keyboard.type("Keyboard")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "family_name"
    page.keyboard.type("User")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.type("keys@example.org")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "country"
    page.keyboard.type("Ukraine")  # a select takes typed text, as browsers allow
    expect(page.locator("#country")).to_have_value("UA")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "keep_informed"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "show_name"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "discreet_mail"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(site.url) + r"/thank-you(#sign)?$"))


def test_admin_logs_in_and_downloads_csv(site: LiveSite, page: Page):
    page.goto(site.url + "/")
    fill_petition(page, "Зоя Export", "export@example.org")
    page.click("button[type=submit]")
    page.goto(site.link_sent_to("export@example.org", "/confirm/"))
    page.goto(site.url + "/admin/login")
    screenshot(page, "admin-login")
    site.log_in_admin(page)
    screenshot(page, "admin-dashboard")
    page.get_by_role("link", name="Export", exact=True).first.click()  # the menu
    with page.expect_download() as download_info:
        page.get_by_role("link", name="All signatures").click()
    raw = Path(download_info.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "spreadsheets need the BOM to read UTF-8"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    mine = [row for row in rows if row["email"] == "export@example.org"]
    assert [(row["given_name"], row["family_name"], row["status"]) for row in mine] == [
        ("Зоя", "Export", "confirmed")
    ]


def test_count_refreshes_without_reload(site: LiveSite, page: Page, browser: Browser):
    page.goto(site.url + "/")
    before = shown_count(page)
    other = browser.new_context(viewport=PHONE).new_page()
    other.goto(site.url + "/")
    fill_petition(other, "Second Tab", "refresh@example.org")
    other.click("button[type=submit]")
    other.goto(site.link_sent_to("refresh@example.org", "/confirm/"))
    other.context.close()
    page.evaluate(
        "document.dispatchEvent(new Event('visibilitychange'))"
    )  # as when the tab is shown again
    expect(page.locator("[data-count]")).to_have_text(f"{before + 1:,}")
    assert page.evaluate("document.getElementById('goal-progress').value") == before + 1


def test_email_checked_when_leaving_the_field(site: LiveSite, page: Page):
    page.goto(site.url + "/")
    page.fill("#email", "someone@")
    page.keyboard.press("Tab")
    error = page.locator("#email-error")
    expect(error).to_contain_text("Enter an email address")
    expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
    page.fill("#email", "someone@example.org")
    page.keyboard.press("Tab")
    expect(error).to_have_count(0)
    expect(page.locator("#email")).to_have_attribute("aria-invalid", "false")


def test_reduced_motion_is_honoured(browser: Browser, site: LiveSite):
    for motion, expected in (("reduce", "auto"), ("no-preference", "smooth")):
        context = browser.new_context(reduced_motion=motion)
        page = context.new_page()
        page.goto(site.url + "/")
        assert (
            page.evaluate("getComputedStyle(document.documentElement).scrollBehavior") == expected
        )
        context.close()


def test_progress_bar_has_accessible_name_and_value(site: LiveSite, page: Page):
    page.goto(site.url + "/")
    bar = page.get_by_role("progressbar", name=re.compile("Progress toward our goal"))
    expect(bar).to_have_count(1)
    assert bar.get_attribute("max") and bar.get_attribute("value") is not None


PAGES_FOR_AXE = [
    "home",
    "thank-you",
    "form-errors",
    "privacy",
    "admin-login",
    "admin-dashboard",
    "admin-find",
    "confirm-result",
    "withdraw",
    "home-de",
    "home-ru",
    "form-errors-uk",
]


@pytest.mark.parametrize("name", PAGES_FOR_AXE)
def test_no_axe_violations(site: LiveSite, page: Page, name: str):
    open_page_for_axe(site, page, name)
    violations = axe_violations(page, name)
    assert violations == [], json.dumps(violations, indent=2)


def open_page_for_axe(site: LiveSite, page: Page, name: str) -> None:
    if name == "home":
        page.goto(site.url + "/")
    elif name in ("home-de", "home-ru"):
        page.goto(site.url + "/" + name[-2:] + "/")
        screenshot(page, name)
    elif name == "form-errors-uk":
        page.goto(site.url + "/uk/")
        page.click("button[type=submit]")
        expect(page.locator("#error-summary")).to_be_visible()
        screenshot(page, name)
    elif name == "thank-you":
        page.goto(site.url + "/thank-you")
    elif name == "form-errors":
        page.goto(site.url + "/")
        page.click("button[type=submit]")
        expect(page.locator("#error-summary")).to_be_visible()
    elif name == "privacy":
        page.goto(site.url + "/privacy")
    elif name in ("admin-login", "admin-dashboard", "admin-find"):
        if name == "admin-find":
            page.goto(site.url + "/")
            fill_petition(page, "Сергей Find", "axe-find@example.org")
            page.click("button[type=submit]")
        page.goto(site.url + "/admin/login")
        if name != "admin-login":
            site.log_in_admin(page)
        if name == "admin-find":  # the address goes in a POST body, decrypted row comes back
            page.goto(site.url + "/admin/export")
            page.fill("#email", "AXE-FIND@example.org")
            page.get_by_role("button", name="Find").click()
            expect(page.get_by_role("cell", name="Сергей", exact=True)).to_be_visible()
            expect(page.get_by_role("cell", name="Find", exact=True)).to_be_visible()
            screenshot(page, name)
    elif name in ("confirm-result", "withdraw"):
        address = f"axe-{name}@example.org"
        page.goto(site.url + "/")
        fill_petition(page, "Axe Check", address)
        page.click("button[type=submit]")
        path = "/confirm/" if name == "confirm-result" else "/withdraw/"
        page.goto(site.link_sent_to(address, path))


def test_call_to_sign_stays_in_reach_on_a_phone(site: LiveSite, page: Page):
    page.goto(site.url + "/")
    page.locator("#films").scroll_into_view_if_needed()
    bar = page.locator("[data-sign-bar]")
    expect(bar).to_be_visible()
    bar.get_by_role("link", name="Sign the petition").click()
    expect(page.locator("#given_name")).to_be_in_viewport()
    expect(bar).to_be_hidden()  # the form is on screen: the bar steps aside


def test_no_sign_bar_on_a_desktop(site: LiveSite, browser: Browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(site.url + "/")
    expect(page.locator("[data-sign-bar]")).to_be_hidden()
    context.close()


@pytest.mark.parametrize("path", ["/", "/de/", "/ru/", "/uk/", "/de/privacy", "/ru/thank-you"])
def test_nothing_is_wider_than_a_phone_in_any_language(site: LiveSite, page: Page, path: str):
    """Long German compounds and Cyrillic nav labels must wrap, not push the page sideways."""
    page.goto(site.url + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_sign_with_every_cookie_blocked(site: LiveSite, browser: Browser, tmp_path):
    """As inside a partner's iframe where third-party cookies are blocked: Chromium with its
    "block all cookies" setting signs, and site.js's form stamp still arrives."""
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(
        json.dumps({"profile": {"default_content_setting_values": {"cookies": 2}}})
    )
    # The module's Playwright (one per process) launches a second, persistent Chromium.
    context = browser.browser_type.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-dev-shm-usage"],
        viewport=PHONE,
    )
    try:
        page = context.new_page()
        page.goto(site.url + "/de/")
        # The setting holds: a cookie written by script does not stick.
        assert page.evaluate("document.cookie = 'probe=1'; document.cookie") == ""
        fill_petition(page, "Keks Los", "nocookies@example.org")
        expect(page.locator("input[name=started]")).not_to_have_value("")
        page.click("button[type=submit]")
        expect(page).to_have_url(re.compile(re.escape(site.url) + r"/de/thank-you(#sign)?$"))
        assert context.cookies() == []
    finally:
        context.close()
    assert site.link_sent_to("nocookies@example.org", "/de/confirm/")
    with site.app.app_context():
        from support import stored_signatures

        [signature] = [s for s in stored_signatures(site.app) if s.email == "nocookies@example.org"]
    assert signature.review_marks == ""  # the stamp came, and not too fast


@pytest.mark.parametrize(
    ("locale", "offer"),
    [
        ("de-DE", "Diese Seite auf Deutsch lesen"),
        ("uk-UA", "Читати цю сторінку українською"),
        ("en-GB", None),
    ],
)
def test_the_english_page_offers_the_browsers_language(
    site: LiveSite, browser: Browser, locale, offer
):
    context = browser.new_context(viewport=PHONE, locale=locale)
    page = context.new_page()
    try:
        page.goto(site.url + "/")
        expect(page).to_have_url(site.url + "/")  # never redirected
        banner = page.locator("[data-lang-suggest]")
        if offer is None:
            expect(banner).to_be_hidden()
            return
        expect(banner).to_be_visible()
        expect(banner.locator("p:visible")).to_have_count(1)
        expect(banner.locator("p:visible a")).to_have_text(offer)
        screenshot(page, f"language-offer-{locale}")
        banner.locator("p:visible button").click()
        expect(banner).to_be_hidden()
        page.reload()
        expect(banner).to_be_hidden()  # once declined, not offered again
    finally:
        context.close()
