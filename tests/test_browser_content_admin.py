"""/admin/content, its preview and /admin/launch in Chromium, at phone and desktop size: no
axe violations, nothing wider than the window, a screenshot of each."""

import browser_support
import pytest
from browser_support import DESKTOP, PHONE, LiveSite, axe_violations, screenshot
from playwright.sync_api import Browser

pytestmark = pytest.mark.browser
browser = browser_support.browser  # the same Chromium fixture, by name


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    live = LiveSite(tmp_path_factory.mktemp("content-admin"))
    yield live
    live.stop()


@pytest.mark.parametrize(("size", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_the_content_pages_their_preview_and_the_checklist_pass_axe(
    site: LiveSite, browser: Browser, size, viewport
):
    page = browser.new_context(viewport=viewport).new_page()
    site.log_in_admin(page)
    problems = {}
    for path, name in [
        ("/admin/content", "content"),
        ("/admin/content/de", "content-de"),
        ("/admin/launch", "launch"),
    ]:
        page.goto(site.url + path)
        problems |= _problems(page, f"admin-{name}-{size}", viewport)
    page.goto(site.url + "/admin/content")
    page.click("a[lang=de]")
    assert "Preview:" in page.content()
    problems |= _problems(page, f"admin-content-preview-{size}", viewport)
    page.context.close()
    assert problems == {}


def _problems(page, name: str, viewport: dict) -> dict:
    problems = {}
    violations = axe_violations(page, name)
    if violations:
        problems[name] = violations
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > viewport["width"]:
        problems[name + " (width)"] = width
    screenshot(page, name)
    return problems
