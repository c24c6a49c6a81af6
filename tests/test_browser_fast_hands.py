"""Fast hands in a real browser: a form filled in a second, as phone autofill does, is
stored and marked for review, never dropped; the honeypot stays empty."""

import time

import pytest
from browser_support import LiveSite, browser  # noqa: F401  (the module's Chromium fixture)
from support import stored_signatures

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def strict_site(tmp_path_factory):
    live = LiveSite(tmp_path_factory.mktemp("fast-hands"))
    # Well above the few seconds the browser below takes even on a busy machine (the stamp
    # counts whole seconds); production's default is 3.
    live.app.config["SIGNING_MIN_SECONDS"] = 10
    yield live
    live.stop()


def test_an_autofilled_form_sent_at_once_is_stored_and_marked(strict_site, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 375, "height": 812})
    page = context.new_page()
    try:
        page.goto(strict_site.url + "/")
        started = time.monotonic()
        # What autofill does: every field it knows filled at once, then the supporter taps Sign.
        page.fill("#given_name", "Olena")
        page.fill("#family_name", "Kovalenko")
        page.fill("#email", "olena.fast@example.org")
        page.select_option("#country", "UA")
        page.get_by_role("button", name="Sign the petition").click()
        page.wait_for_url("**/thank-you")
        assert time.monotonic() - started < 9
        assert page.locator("#leave_this_empty").count() == 0  # left behind on the form page
    finally:
        context.close()
    [signature] = [
        s for s in stored_signatures(strict_site.app) if s.email == "olena.fast@example.org"
    ]
    assert (signature.given_name, signature.review_marks) == ("Olena", "too_fast")
