"""Sharing from the page after confirming, in Chromium: the browser's share sheet where it
has one (hidden otherwise), and Mastodon on the server the supporter types, remembered on
their device, with no request to that server before they press share."""

import browser_support
import pytest
from browser_support import PHONE, LiveSite, axe_violations, fill_petition, screenshot
from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.browser
browser = browser_support.browser  # the same Chromium fixture, by name

FAKE_SHARE = """
window.__shared = [];
Object.defineProperty(navigator, "share", {
  value: function (data) { window.__shared.push(data); return Promise.resolve(); }
});
"""


@pytest.fixture(scope="module")
def confirm_link(tmp_path_factory):
    site = LiveSite(tmp_path_factory.mktemp("sharing"))
    yield site
    site.stop()


def signed_and_confirmed(site: LiveSite, browser: Browser, address: str, share_sheet: bool):
    context = browser.new_context(viewport=PHONE)
    if share_sheet:
        context.add_init_script(FAKE_SHARE)
    page = context.new_page()
    page.goto(site.url + "/")
    fill_petition(page, "Mira Share", address)
    page.get_by_role("button", name="Sign the petition").last.click()
    page.goto(site.link_sent_to(address, "/confirm/"))
    expect(page.locator("h1")).to_contain_text("confirmed")
    return context, page


def test_the_share_sheet_button_shows_only_where_the_browser_has_one(
    confirm_link: LiveSite, browser: Browser
):
    context, page = signed_and_confirmed(confirm_link, browser, "plain@example.org", False)
    expect(page.locator("[data-web-share]")).to_be_hidden()  # Chromium on Linux has none
    context.close()

    context, page = signed_and_confirmed(confirm_link, browser, "sheet@example.org", True)
    button = page.get_by_role("button", name="Share with an app on this device")
    button.click()
    shared = page.evaluate("window.__shared")
    assert len(shared) == 1 and "source=share:device" in shared[0]["url"]
    assert shared[0]["text"].startswith("I signed the petition")
    context.close()


def test_mastodon_opens_the_typed_server_remembers_it_and_asks_nothing_before(
    confirm_link: LiveSite, browser: Browser
):
    context, page = signed_and_confirmed(confirm_link, browser, "toot@example.org", False)
    asked: list[str] = []
    context.route(
        "https://social.example.org/**",
        lambda route: (asked.append(route.request.url), route.fulfill(body="shared"))[1],
    )
    field = page.get_by_label("Share on Mastodon: your server")
    field.fill("https://evil.example.org:8443/x")
    page.get_by_role("button", name="Share on Mastodon").click()
    expect(page.locator("#mastodon-server-error")).to_contain_text("name of a Mastodon server")
    assert axe_violations(page, "mastodon-error") == []

    field.fill("@me@Social.Example.org")
    assert asked == []  # typing asks no server anything
    with context.expect_page() as popup:
        page.get_by_role("button", name="Share on Mastodon").click()
    popup.value.wait_for_load_state()
    assert len(asked) == 1
    assert asked[0].startswith("https://social.example.org/share?text=I%20signed%20the%20petition")
    assert "source%3Dshare%3Amastodon" in asked[0]
    screenshot(page, "mastodon-share")

    page.reload()  # remembered on this device only
    expect(page.get_by_label("Share on Mastodon: your server")).to_have_value("social.example.org")
    context.close()
