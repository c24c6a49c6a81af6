"""The campaign page as visitors meet it in Chromium: the ask on the first screen, a sign bar
that never covers what matters, trailers that load nothing before a click, the invitation
before many have signed, and the confirmation page that keeps a supporter moving.

Screenshots of every language at 375x812 and 1440x900 land in test-artifacts/screenshots/.
"""

import re
from pathlib import Path

import browser_support
import pytest
from browser_support import (
    ARTIFACTS,
    DESKTOP,
    PHONE,
    LiveSite,
    axe_violations,
    fill_petition,
    screenshot,
)
from playwright.sync_api import Browser, Page, expect

from campaign_site.languages import TRANSLATED

pytestmark = pytest.mark.browser
browser = browser_support.browser  # the same Chromium fixture, by name

LANGUAGES = ["", *(f"/{code}" for code in TRANSLATED)]  # URL prefixes; English has none
VIDEO_HOST = "https://video.example.test"
TRAILER = f"{VIDEO_HOST}/embed/justice"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site with a trailer and a "where to watch" link configured for one film."""
    tmp = tmp_path_factory.mktemp("campaign")
    source = (Path(__file__).parent / "content" / "campaign.toml").read_text()
    content = tmp / "campaign.toml"
    content.write_text(
        source.replace('trailer_url = ""', f'trailer_url = "{TRAILER}"', 1)
        .replace('trailer_service = ""', 'trailer_service = "Example Video"', 1)
        .replace(
            "where_to_watch = []",
            'where_to_watch = [{ label = "Festival screenings", url = "https://films.example.test/" }]',
            1,
        )
    )
    live = LiveSite(tmp, CONTENT_FILE=str(content))
    yield live
    live.stop()


def new_page(browser: Browser, viewport: dict, **options) -> Page:
    return browser.new_context(viewport=viewport, **options).new_page()


def language_name(prefix: str) -> str:
    return prefix.strip("/") or "en"


# --- 1. the ask on the first screen -------------------------------------------------


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_on_a_desktop_the_petition_and_the_form_stand_beside_the_headline(
    site: LiveSite, browser: Browser, prefix: str
):
    page = new_page(browser, DESKTOP)
    page.goto(site.url + prefix + "/")
    headline = page.locator("h1").bounding_box()
    first_field = page.locator("#given_name")
    expect(first_field).to_be_in_viewport()
    box = first_field.bounding_box()
    assert box["y"] + box["height"] <= DESKTOP["height"], "first field below the first screen"
    assert box["x"] >= headline["x"] + headline["width"], "the form is not beside the headline"
    expect(page.locator(".petition")).to_be_in_viewport()
    expect(page.locator(".petition__to")).to_contain_text("The Test Assembly")
    page.screenshot(path=first_screen_path(f"home-{language_name(prefix)}", DESKTOP))
    page.context.close()


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_on_a_phone_the_first_screen_has_one_call_to_sign(
    site: LiveSite, browser: Browser, prefix: str
):
    page = new_page(browser, PHONE)
    page.goto(site.url + prefix + "/")
    calls = page.evaluate(
        """() => [...document.querySelectorAll('a[href$="#sign"], button[type=submit]')]
            .filter(el => {
              const r = el.getBoundingClientRect();
              const shown = getComputedStyle(el).visibility !== 'hidden' && r.width > 0 && r.height > 0
                && !el.closest('[hidden]');
              return shown && r.top < innerHeight && r.bottom > 0;
            }).map(el => el.textContent.trim())"""
    )
    assert len(calls) == 1, calls
    expect(page.locator("[data-sign-bar]")).to_be_hidden()
    page.screenshot(path=first_screen_path(f"home-{language_name(prefix)}", PHONE))
    screenshot(page, f"campaign-{language_name(prefix)}")  # full pages, both sizes
    page.context.close()


# Everything a supporter must see while signing; the bar must never lie over one of them.
MUST_STAY_VISIBLE = (
    ".field__input, .field__label, .checkbox, .field__error, .error-summary, "
    "button[type=submit], progress, .tally"
)

NEVER_COVERED = """async (selector) => {
  const bar = document.querySelector('[data-sign-bar]');
  const frames = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const covered = [];
  const step = Math.round(innerHeight / 3);
  for (let y = 0; y <= document.documentElement.scrollHeight; y += step) {
    window.scrollTo(0, y);
    await frames(); await frames();  // IntersectionObserver reports after a frame
    if (bar.hidden) continue;
    const b = bar.getBoundingClientRect();
    for (const el of document.querySelectorAll(selector)) {
      const r = el.getBoundingClientRect();
      if (r.height && r.top < b.bottom && r.bottom > b.top) covered.push(`${el.className || el.id} at ${y}`);
    }
  }
  // And with each element at the very bottom of the screen, where focus scrolling puts it.
  for (const el of document.querySelectorAll(selector)) {
    el.scrollIntoView({block: 'end'});
    await frames(); await frames();
    if (bar.hidden) continue;
    const b = bar.getBoundingClientRect(), r = el.getBoundingClientRect();
    if (r.height && r.top < b.bottom && r.bottom > b.top) covered.push(`${el.className || el.id} at its end`);
  }
  return covered;
}"""


@pytest.mark.parametrize("errors", [False, True], ids=["form", "error-page"])
@pytest.mark.parametrize("prefix", LANGUAGES)
def test_the_sign_bar_never_covers_a_field_an_error_or_the_count(
    site: LiveSite, browser: Browser, prefix: str, errors: bool
):
    page = new_page(browser, PHONE)
    page.goto(site.url + prefix + "/")
    if errors:
        page.fill("#email", "not an address")
        page.click("button[type=submit]")
        expect(page.locator("#error-summary")).to_be_visible()
    covered = page.evaluate(NEVER_COVERED, MUST_STAY_VISIBLE)
    assert covered == []
    # The bar is there once the hero is gone, and leads back to the form.
    page.locator("#films").scroll_into_view_if_needed()
    bar = page.locator("[data-sign-bar]")
    expect(bar).to_be_visible()
    bar.get_by_role("link").click()
    expect(page.locator("#sign")).to_be_in_viewport()
    expect(bar).to_be_hidden()
    page.context.close()


# --- 3. trailers behind a facade ----------------------------------------------------


def test_a_trailer_loads_nothing_from_its_host_before_play_is_pressed(
    site: LiveSite, browser: Browser
):
    page = new_page(browser, DESKTOP)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.route(
        f"{VIDEO_HOST}/**",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<title>player</title><p>playing</p>"
        ),
    )
    page.goto(site.url + "/")
    page.locator("#films").scroll_into_view_if_needed()
    page.mouse.wheel(0, 2000)
    page.wait_for_load_state("networkidle")
    foreign = [url for url in requested if not url.startswith(site.url)]
    assert foreign == [], foreign
    expect(page.locator("#films")).to_contain_text("loads the video from Example Video")
    expect(page.get_by_role("link", name="Festival screenings")).to_have_attribute(
        "href", "https://films.example.test/"
    )

    page.get_by_role("link", name=re.compile("Play the trailer")).click()
    player = page.locator("#films iframe")
    expect(player).to_have_attribute("src", TRAILER)
    expect(player).to_have_attribute("title", "Trailer: Justice for Sergei")
    page.wait_for_load_state("networkidle")
    assert TRAILER in requested
    assert page.frame_locator("#films iframe").locator("p").inner_text() == "playing"
    page.context.close()


# --- 5. before many have signed -----------------------------------------------------


def test_a_new_petition_invites_the_first_signers_instead_of_showing_zero(
    site: LiveSite, browser: Browser
):
    site.app.config["FIRST_SIGNERS_THRESHOLD"] = 100
    try:
        for prefix in LANGUAGES:
            page = new_page(browser, PHONE)
            page.goto(site.url + prefix + "/")
            expect(page.locator(".tally--first")).to_be_visible()
            expect(page.locator("progress")).to_have_count(0)
            expect(page.locator(".hero")).not_to_contain_text(re.compile(r"(^|\s)0\s"))
            page.wait_for_timeout(300)  # site.js's first count refresh must not bring it back
            expect(page.locator("[data-count]")).to_have_count(0)
            page.screenshot(path=first_screen_path(f"first-signers-{language_name(prefix)}", PHONE))
            page.context.close()
    finally:
        site.app.config["FIRST_SIGNERS_THRESHOLD"] = 0


# --- 6. after confirming ------------------------------------------------------------

NETWORKS = ["Email", "WhatsApp", "Telegram", "VK", "X", "Facebook", "LinkedIn", "Bluesky"]


def test_before_confirming_the_thank_you_page_asks_to_confirm_first(
    site: LiveSite, browser: Browser
):
    page = new_page(browser, PHONE)
    page.goto(site.url + "/ru/")
    fill_petition(page, "Ирина Петрова", "irina@example.org")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/ru/thank-you$"))
    expect(page.locator(".share")).to_have_count(0)
    assert "I signed" not in page.content()
    page.context.close()


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_the_confirmation_page_thanks_counts_and_offers_sharing(
    site: LiveSite, browser: Browser, prefix: str
):
    page = new_page(browser, PHONE, permissions=["clipboard-read", "clipboard-write"])
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    language = language_name(prefix)
    address = f"journey-{language}@example.org"
    page.goto(site.url + prefix + "/")
    fill_petition(page, f"Mila{language.upper()} Shown", address, show_name=True)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/thank-you$"))

    page.goto(site.link_sent_to(address, prefix + "/confirm/"))
    expect(page.locator("h1")).to_contain_text(f"Mila{language.upper()}")
    expect(page.locator("h1")).not_to_contain_text("Shown")
    with site.app.app_context():
        from campaign_site.petition.counting import signature_count

        count = signature_count()
    expect(page.locator(".confirmed__count")).to_contain_text(re.compile(rf"\b{count}\b"))
    share = page.locator(".share")
    expect(share.locator('a[href^="mailto:"]')).to_have_count(1)  # "Email", translated
    for network in NETWORKS[1:]:
        expect(share.get_by_role("link", name=re.compile(rf"^{network}\b"))).to_have_count(1)
    expect(page.locator(".next-steps a")).to_have_count(3)

    page.locator("[data-copy-link]").click()
    expect(page.locator(".copy-link [role=status]")).not_to_be_empty()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{site.url}{prefix}/?source=share:link"
    foreign = [url for url in requested if not url.startswith(site.url)]
    assert foreign == [], foreign  # plain links: no network's script or pixel
    assert axe_violations(page, f"confirmed-{language}") == []
    screenshot(page, f"confirmed-{language}")
    page.context.close()


# --- the other new pages, for people and for axe ------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/contact",
        "/de/accessibility",
        "/ru/contact",
        "/privacy",
        "/de/privacy",
        "/ru/privacy",
        "/uk/privacy",
    ],
)
def test_the_trust_pages_have_no_axe_violations(site: LiveSite, browser: Browser, path: str):
    page = new_page(browser, PHONE)
    page.goto(site.url + path)
    footer = page.locator(".site-footer")
    for target in ("privacy", "contact", "accessibility"):
        expect(footer.locator(f'a[href$="/{target}"]')).to_have_count(1)
    name = path.strip("/").replace("/", "-")
    assert axe_violations(page, name) == []
    screenshot(page, name)
    page.context.close()


@pytest.mark.parametrize("prefix", LANGUAGES)
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_campaign_page_has_no_axe_violations(
    site: LiveSite, browser: Browser, prefix: str, viewport: dict
):
    page = new_page(browser, viewport)
    page.goto(site.url + prefix + "/")
    label = "phone" if viewport == PHONE else "desktop"
    assert axe_violations(page, f"campaign-{language_name(prefix)}-{label}") == []
    page.context.close()


def first_screen_path(name: str, viewport: dict) -> str:
    folder = ARTIFACTS / "first-screen"
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / f"{name}-{viewport['width']}x{viewport['height']}.png")
