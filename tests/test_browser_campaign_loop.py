"""The campaign loop in Chromium, in every language of the registry, on a phone and a desktop:
an organisation applies with its logo, confirms by email and is approved; an admin writes the
addressee's answer and translates the milestones; then each language's campaign page shows
the organisation's name and logo (loaded), the answer and the next milestone, the form for
organisations has no axe violations, nothing is wider than a 375 px phone, and full-page
screenshots of both pages are kept (test-artifacts/screenshots/loop-*.png) to look at."""

import io

import browser_support
import pytest
from browser_support import LiveSite, axe_violations, screenshot
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page, expect

from campaign_site.languages import CODES, DEFAULT_LANGUAGE

pytestmark = pytest.mark.browser
browser = browser_support.browser  # the same Chromium fixture, by name
page = browser_support.page
site = browser_support.site

# Long on purpose: a name like this must wrap, not push the phone's page sideways.
ORGANISATION = "Internationale Gesellschaft für Menschenrechte, Sektion Testland e.V."
CONTACT = "office@igfm-test.example.org"
ANSWER_EN = "The Test Assembly answered that it will hold a hearing on the Magnitsky case."
ANSWER_DE = "Die Test-Versammlung hat geantwortet, dass sie den Fall Magnitski anhören wird."
NEXT_MILESTONE = "At 3 signatures we read the petition aloud (a test value)."
ADDRESSEE = "The Test Assembly (a test value)"
# The organisers' own words for the test content's milestone and addressee
# (/admin/content/<language>), so that no English is left on the other languages' pages.
ADDRESSEE_IN = {
    "de": "Die Testversammlung (ein Testwert)",
    "fr": "L’Assemblée de test (une valeur de test)",
    "ru": "Тестовое собрание (тестовое значение)",
    "uk": "Тестові збори (тестове значення)",
}
MILESTONE_IN = {
    "de": "Bei 3 Unterschriften lesen wir die Petition laut vor (ein Testwert).",
    "fr": "À 3 signatures, nous lisons la pétition à voix haute (une valeur de test).",
    "ru": "При 3 подписях мы зачитаем петицию вслух (тестовое значение).",
    "uk": "При 3 підписах ми зачитаємо петицію вголос (тестове значення).",
}
PHONE_WIDTH = 375


def a_logo_png() -> bytes:
    """A small real PNG, wider than high as most logos are."""
    image = Image.new("RGB", (240, 120), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 110, 110), fill=(0, 82, 155))
    draw.ellipse((130, 10, 230, 110), fill=(200, 30, 45))
    data = io.BytesIO()
    image.save(data, format="PNG")
    return data.getvalue()


def root(lang: str) -> str:
    return "" if lang == DEFAULT_LANGUAGE else f"/{lang}"


@pytest.fixture(scope="module")
def loop(site: LiveSite, browser: Browser) -> LiveSite:
    """The organisation applied, confirmed and approved; the answer and translations saved."""
    context = browser.new_context(viewport=browser_support.PHONE)
    page = context.new_page()
    page.goto(site.url + "/organisations/apply")
    page.fill("#name", ORGANISATION)
    page.fill("#website", "https://igfm-test.example.org")
    page.fill("#email", CONTACT)
    page.select_option("#country", "DE")
    page.set_input_files(
        "#logo", files=[{"name": "logo.png", "mimeType": "image/png", "buffer": a_logo_png()}]
    )
    page.get_by_role("button", name="Send our support").click()
    expect(page.locator("h1")).to_have_text("Please look for our email")
    page.goto(site.link_sent_to(CONTACT, "/organisations/confirm/"))

    site.log_in_admin(page)
    page.goto(site.url + "/admin/organisations")
    page.get_by_role("button", name=f"Approve {ORGANISATION}").click()
    expect(page.get_by_text("shown publicly")).to_be_visible()

    page.goto(site.url + "/admin/response")
    page.fill("#responded_on", "2026-03-31")
    page.fill("#text_en", ANSWER_EN)
    page.fill("#text_de", ANSWER_DE)
    page.get_by_role("button", name="Save and show it on the site").click()
    expect(page.get_by_role("status")).to_contain_text("Shown on the site now")

    for lang, text in MILESTONE_IN.items():
        page.goto(site.url + f"/admin/content/{lang}")
        page.get_by_label(NEXT_MILESTONE, exact=True).fill(text)
        page.get_by_label(ADDRESSEE, exact=True).fill(ADDRESSEE_IN[lang])
        page.get_by_role("button", name="Save the draft").click()
    page.goto(site.url + "/admin/content")
    page.get_by_role("button", name="Publish the draft").click()
    expect(page.get_by_role("status").first).to_contain_text("is published")
    context.close()
    return site


def no_sideways_scroll(page: Page) -> None:
    assert page.viewport_size == browser_support.PHONE
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} is {width}px wide on a {PHONE_WIDTH}px phone"


@pytest.mark.parametrize("lang", CODES)
def test_the_campaign_page_shows_the_organisation_the_answer_and_the_milestone(
    loop: LiveSite, page: Page, lang: str
):
    page.goto(loop.url + root(lang) + "/")
    organisations = page.locator(".organisations")
    expect(organisations).to_contain_text(ORGANISATION)
    logo = organisations.locator("img.organisations__logo")
    logo.scroll_into_view_if_needed()  # loading=lazy
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=logo.element_handle())
    expect(page.locator("#answer")).to_contain_text(ANSWER_DE if lang == "de" else ANSWER_EN)
    expect(page.locator(".milestones__next")).to_contain_text(
        MILESTONE_IN.get(lang, NEXT_MILESTONE)
    )
    if lang != DEFAULT_LANGUAGE:  # the test content's English is translated everywhere shown
        expect(page.locator(".petition__to")).to_contain_text(ADDRESSEE_IN[lang])
        assert "a test value" not in page.locator("body").inner_text()
    no_sideways_scroll(page)
    screenshot(page, f"loop-campaign-{lang}")


@pytest.mark.parametrize("lang", CODES)
def test_the_form_for_organisations_is_accessible_and_fits_a_phone(
    loop: LiveSite, page: Page, lang: str
):
    page.goto(loop.url + root(lang) + "/organisations/apply")
    expect(page.locator("#logo")).to_be_visible()
    assert axe_violations(page, f"loop-apply-{lang}") == []
    no_sideways_scroll(page)
    screenshot(page, f"loop-apply-{lang}")
