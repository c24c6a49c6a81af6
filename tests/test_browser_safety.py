"""Signing as Tor Browser's Safest level runs the site: JavaScript off. A supporter on the
Russian page follows the note to /safety, reads it, signs and confirms from the emailed
link. /safety in every language is screenshotted at 375x812 and 1440x900 (as that reader
sees it, without script) and checked with axe.
"""

import re

import browser_support
import pytest
from browser_support import ARTIFACTS, PHONE, LiveSite, axe_violations, fill_petition, screenshot
from playwright.sync_api import Browser, expect
from support import onion_address, stored_signatures

from campaign_site.languages import CODES, DEFAULT_LANGUAGE

pytestmark = pytest.mark.browser
browser = browser_support.browser  # the same Chromium fixture, by name

ONION = onion_address(5)
LANGUAGES = {code: "" if code == DEFAULT_LANGUAGE else f"/{code}" for code in CODES}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    live = LiveSite(tmp_path_factory.mktemp("safety"), ONION_URL=f"http://{ONION}")
    yield live
    live.stop()


def test_with_javascript_off_a_supporter_reads_how_to_sign_safely_then_signs_and_confirms(
    site: LiveSite, browser: Browser
):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(site.url + "/ru/")
        note = page.locator(".safety-note")
        expect(note).to_be_visible()
        expect(note).to_contain_text("Подписываете из России или Беларуси?")
        note.get_by_role("link", name="Прочтите, как подписать безопасно").click()
        expect(page).to_have_url(site.url + "/ru/safety")
        expect(page.locator("h1")).to_have_text("Как подписать безопасно")
        expect(page.locator("#tor ~ p").first).to_contain_text("Tor Browser")
        expect(page.locator(".safety__onion")).to_have_text(f"http://{ONION}")

        page.get_by_role("link", name="Подписать петицию").last.click()
        fill_petition(page, "Ольга Тихонова", "olga.safety@example.org")
        page.click("button[type=submit]")
        expect(page).to_have_url(re.compile(re.escape(site.url) + r"/ru/thank-you(#sign)?$"))
        expect(page.locator("h1")).to_contain_text("Спасибо")

        page.goto(site.link_sent_to("olga.safety@example.org", "/ru/confirm/"))
        expect(page.locator("h1")).to_contain_text("подтверждена")
    finally:
        context.close()
    [signed] = [s for s in stored_signatures(site.app) if s.email == "olga.safety@example.org"]
    assert signed.status == "confirmed" and signed.language == "ru"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_safety_page_reads_well_and_has_no_axe_violations(
    site: LiveSite, browser: Browser, language: str
):
    path = LANGUAGES[language] + "/safety"
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(site.url + path)
    expect(page.locator(".site-footer").locator(f'a[href="{path}"]')).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, f"safety-{language}")
    context.close()
    # axe runs as a script in the page: in a context that allows one (the bytes are the same).
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(site.url + path)
    assert axe_violations(page, f"safety-{language}") == []
    context.close()


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_the_russian_and_ukrainian_pages_show_the_note_above_the_form(
    site: LiveSite, browser: Browser, language: str
):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{site.url}/{language}/")
    note, form = page.locator(".safety-note"), page.locator("form.sign__form")
    expect(note).to_be_visible()
    assert note.bounding_box()["y"] < form.bounding_box()["y"]
    note.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "screenshots" / f"safety-note-{language}-375x812.png")
    assert axe_violations(page, f"campaign-{language}-safety-note") == []
    context.close()
