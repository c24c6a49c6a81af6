"""The partners' embed in Chromium: a partner's page on another site frames /embed, a
supporter signs inside the frame with third-party cookies blocked, and a site that is not
in EMBED_ORIGINS gets a blocked frame instead of the form.

The site runs on http://127.0.0.1:PORT; the partners on http://localhost:OTHER, another
site (not only another origin), so the frame is third-party as on the real web.
"""

import json
import threading

import browser_support
import pytest
from browser_support import CHROMIUM, PHONE, LiveSite, axe_violations, fill_petition, screenshot
from playwright.sync_api import Browser, Frame, Page, expect
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

pytestmark = pytest.mark.browser
browser = browser_support.browser  # the same Chromium fixture, by name


class PartnerSite:
    """Someone else's page on a loopback port, with the embed in an iframe (set `embed_url`)."""

    def __init__(self) -> None:
        self.embed_url = "about:blank"
        self.server = make_server("127.0.0.1", 0, self.page, threaded=True)
        self.url = f"http://localhost:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, environ, start_response):
        html = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            "<title>A partner's page</title></head><body><h1>A partner's page</h1>"
            f'<iframe src="{self.embed_url}" title="Sign the petition" width="100%" '
            'height="1000"></iframe></body></html>'
        )
        return Response(html, mimetype="text/html")(environ, start_response)

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def partners():
    allowed, stranger = PartnerSite(), PartnerSite()
    yield allowed, stranger
    allowed.stop()
    stranger.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory, partners):
    allowed, stranger = partners
    live = LiveSite(tmp_path_factory.mktemp("embed"), EMBED_ORIGINS=allowed.url)
    allowed.embed_url = stranger.embed_url = f"{live.url}/de/embed?source=partner:test"
    yield live
    live.stop()


@pytest.fixture
def third_party_cookies_blocked(browser: Browser, tmp_path):
    """A Chromium profile with "Block third-party cookies" on, as more and more browsers
    ship by default."""
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(
        json.dumps({"profile": {"cookie_controls_mode": 1, "block_third_party_cookies": True}})
    )
    context = browser.browser_type.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-dev-shm-usage", "--test-third-party-cookie-phaseout"],
        viewport=PHONE,
    )
    yield context
    context.close()


def embed_frame(page: Page) -> Frame:
    [frame] = [frame for frame in page.frames if frame is not page.main_frame]
    return frame


def test_a_supporter_signs_inside_a_partners_frame_with_third_party_cookies_blocked(
    site: LiveSite, partners, third_party_cookies_blocked
):
    allowed, _ = partners
    page = third_party_cookies_blocked.new_page()
    page.goto(allowed.url + "/")
    # Inside the frame (another site) no cookie sticks; on the partner's own page one does.
    assert embed_frame(page).evaluate("document.cookie = 'probe=1'; document.cookie") == ""
    assert page.evaluate("document.cookie = 'probe=1'; document.cookie") == "probe=1"

    form = page.frame_locator("iframe")
    expect(form.locator("h2")).to_have_text("Petition unterschreiben")
    fill_petition(embed_frame(page), "Partnerin Gast", "partner-frame@example.org")
    expect(form.locator("input[name=started]")).not_to_have_value("")  # site.js ran in the frame
    form.locator("button[type=submit]").click()

    expect(form.locator("h1")).to_contain_text("Danke")
    more = form.locator(".embed__more a")
    expect(more).to_have_attribute("target", "_blank")
    expect(more).to_have_attribute("href", "/de/")
    assert embed_frame(page).url == site.url + "/de/embed/thank-you"
    assert [c for c in third_party_cookies_blocked.cookies() if c["domain"] == "127.0.0.1"] == []
    screenshot(page, "embed-thank-you")

    with site.app.app_context():
        from support import stored_signatures

        [signature] = [
            s for s in stored_signatures(site.app) if s.email == "partner-frame@example.org"
        ]
    assert (signature.source, signature.language, signature.review_marks) == (
        "partner:test",
        "de",
        "",
    )


def test_a_site_not_in_embed_origins_gets_a_blocked_frame(site: LiveSite, partners, page: Page):
    _, stranger = partners
    page.goto(stranger.url + "/")
    frame = embed_frame(page)
    expect(page.locator("h1")).to_have_text("A partner's page")
    assert frame.locator("form").count() == 0
    assert frame.locator("input[name=email]").count() == 0
    assert not frame.url.startswith(site.url)  # Chromium's error page stands in its place


@pytest.mark.parametrize("path", ["/embed", "/ru/embed/thank-you"])
def test_the_embed_has_no_accessibility_violations(site: LiveSite, page: Page, path):
    page.goto(site.url + path)
    name = "embed" + path.replace("/", "-")
    screenshot(page, name)
    assert axe_violations(page, name) == []


@pytest.fixture
def page(browser: Browser):
    context = browser.new_context(viewport=PHONE)
    yield context.new_page()
    context.close()
