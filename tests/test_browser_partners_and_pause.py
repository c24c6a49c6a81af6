"""The Partners page with its live preview and copy buttons, and the pause form with its
banner, in Chromium: no axe violations at phone and desktop size, screenshots of both."""

import browser_support
import pytest
from browser_support import DESKTOP, PHONE, LiveSite, axe_violations, screenshot
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser
browser = browser_support.browser  # the same Chromium fixture, by name

FIXED = "https://fixed.example.org"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    live = LiveSite(tmp_path_factory.mktemp("partners-pause"), EMBED_ORIGINS=FIXED)
    yield live
    live.stop()


def problems_at_both_sizes(page: Page, name: str) -> dict:
    """axe's violations at phone and desktop size, and overflow past a phone's width; the
    screenshots at both sizes."""
    problems = {}
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        violations = axe_violations(page, f"{name}-{label}")
        if violations:
            problems[f"{name} ({label})"] = violations
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        problems[name + " (width)"] = width
    screenshot(page, name)
    return problems


def test_an_organiser_adds_a_partner_site_and_previews_the_embed(site: LiveSite, browser: Browser):
    context = browser.new_context(viewport=PHONE)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    page = context.new_page()
    site.log_in_admin(page)
    page.goto(site.url + "/admin/partners")
    page.get_by_label("Partner's site (origin)").fill("https://partner.example.net")
    page.get_by_role("button", name="Allow this site").click()
    expect(
        page.get_by_text("https://partner.example.net may show the signing form")
    ).to_be_visible()
    expect(page.get_by_text(f"{FIXED} (fixed)")).to_be_visible()

    page.get_by_label("Partner code").fill("amnesty-de")
    page.get_by_label("Language of the form").select_option("de")
    page.get_by_role("button", name="Show the snippets").click()
    preview = page.frame_locator("iframe.partner-preview")
    expect(preview.get_by_role("heading", name="Petition unterschreiben")).to_be_visible()
    page.get_by_role("button", name="Copy the iframe code").click()
    expect(page.get_by_text("Iframe code copied.")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith('<iframe src="') and "partner:amnesty-de" in copied
    problems = problems_at_both_sizes(page, "admin-partners-preview")

    page.get_by_label("Partner's site (origin)").fill("https://partner.example.net/page")
    page.get_by_role("button", name="Allow this site").click()
    expect(page.locator(".error-summary")).to_contain_text("is not an origin")
    problems |= problems_at_both_sizes(page, "admin-partners-error")
    context.close()
    assert problems == {}


def test_an_organiser_pauses_with_a_reason_and_every_page_says_so(site: LiveSite, browser: Browser):
    page = browser.new_context(viewport=PHONE).new_page()
    site.log_in_admin(page)
    page.goto(site.url + "/admin/signing")
    problems = problems_at_both_sizes(page, "admin-pause-form")
    page.get_by_label("Reason (optional)").fill("A wave of fake signatures")
    page.get_by_role("button", name="Pause signing now").click()
    banner = page.get_by_role("region", name="Signing paused")
    expect(banner).to_contain_text("by admin@example.org (A wave of fake signatures)")
    problems |= problems_at_both_sizes(page, "admin-paused-banner")
    page.goto(site.url + "/admin/fraud")
    expect(banner).to_be_visible()

    public = page.context.new_page()
    public.goto(site.url + "/")
    expect(public.locator(".site-nav__cta")).to_have_count(0)
    expect(public.locator(".hero__call")).to_have_count(0)
    public.close()

    page.goto(site.url + "/admin/signing")
    page.get_by_role("button", name="Resume signing").click()
    expect(page.get_by_role("region", name="Signing paused")).to_have_count(0)
    page.context.close()
    assert problems == {}
