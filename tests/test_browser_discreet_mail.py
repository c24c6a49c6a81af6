"""The warning for an address under Russian or Belarusian law, in Chromium: focused and
announced when it appears, tied to the email field, answered with JavaScript off too."""

import re

import browser_support
import pytest
from browser_support import PHONE, LiveSite, axe_violations, fill_petition, screenshot
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser
browser = browser_support.browser  # the same Chromium fixture, by name
page = browser_support.page


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    live = LiveSite(tmp_path_factory.mktemp("discreet"))
    yield live
    live.stop()


@pytest.mark.parametrize("prefix", ["", "/ru"])
def test_the_warning_takes_the_focus_and_describes_the_email_field(
    site: LiveSite, page: Page, prefix: str
):
    page.goto(site.url + prefix + "/")
    fill_petition(page, "Olga Ivanova", "olga@yandex.ru")
    page.click("button[type=submit]")

    warning = page.locator("#email-risk")
    expect(warning).to_be_visible()
    expect(warning).to_be_focused()
    expect(page.locator("#email")).to_have_value("olga@yandex.ru")
    described = page.locator("#email").get_attribute("aria-describedby").split()
    assert "email-risk" in described
    screenshot(page, f"mail-risk-warning{prefix.replace('/', '-')}")


def test_the_warning_has_no_axe_violations(site: LiveSite, page: Page):
    page.goto(site.url + "/")
    fill_petition(page, "Olga Ivanova", "olga@mail.ru")
    page.click("button[type=submit]")
    expect(page.locator("#email-risk")).to_be_visible()
    assert axe_violations(page, "mail-risk-warning") == []


def test_keeping_the_address_works_with_javascript_off(site: LiveSite, browser: Browser):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    nojs = context.new_page()
    try:
        nojs.goto(site.url + "/")
        fill_petition(nojs, "Olga Ivanova", "olga@rambler.ru")
        nojs.click("button[type=submit]")
        expect(nojs.locator("#email-risk")).to_be_visible()
        nojs.check("#mail_risk_accepted")
        nojs.click("button[type=submit]")
        expect(nojs).to_have_url(re.compile(re.escape(site.url) + r"/thank-you(#sign)?$"))
    finally:
        context.close()
    message = next(m for m in site.deliver_mail() if "olga@rambler.ru" in m["To"])
    assert message["From"].addresses[0].display_name == "Notifications"
