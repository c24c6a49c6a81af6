"""Pausing signing asks for a short reason; every admin page then says since when, by whom
and why, and the public pages drop their Sign buttons until signing resumes. The fraud
page offers the same pause, and its "What to do" has no default."""

import pytest
from markupsafe import escape
from support import csrf_token_from, logged_in_admin

from campaign_site.accounts.audit import Action
from campaign_site.extensions import db
from campaign_site.models import AdminAudit

ADMIN = "organiser@example.org"
SIGN_LINKS = ('class="site-nav__cta"', "data-sign-bar", 'class="button hero__call"')


def pause(client, reason: str | None = None, action: str = "pause"):
    token = csrf_token_from(client.get("/admin/signing").text)
    data = {"action": action, "csrf_token": token}
    if reason is not None:
        data["pause_reason"] = reason
    return client.post("/admin/signing", data=data)


def audited(app) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(db.select(AdminAudit.action, AdminAudit.detail))
        return [(a, d) for a, d in rows if a in (Action.SIGNING_PAUSED, Action.SIGNING_RESUMED)]


def test_a_pause_with_a_reason_is_shown_on_every_admin_page_and_audited(app):
    client = logged_in_admin(app)
    assert pause(client, "  Fake signatures from one\tnetwork ").status_code == 303
    for path in ("/admin/", "/admin/partners", "/admin/fraud", "/admin/updates"):
        page = client.get(path).text
        assert "Signing paused since " in page and f" UTC by {ADMIN}" in page, path
        assert "(Fake signatures from one network)" in page, path
    assert audited(app) == [(Action.SIGNING_PAUSED, "Fake signatures from one network")]

    assert pause(client, action="resume").status_code == 303
    assert "Signing paused since" not in client.get("/admin/").text
    assert audited(app)[-1] == (Action.SIGNING_RESUMED, "")


def test_the_reason_is_optional(app):
    client = logged_in_admin(app)
    assert pause(client).status_code == 303
    page = client.get("/admin/").text
    assert f"UTC by {ADMIN}</strong>." in page


def test_a_too_long_reason_is_refused_politely_and_kept(app):
    client = logged_in_admin(app)
    answer = pause(client, "x" * 201)
    assert answer.status_code == 422
    assert "Please keep the reason to 200 characters or fewer." in answer.text
    assert 'value="' + "x" * 201 in answer.text
    assert "Signing paused since" not in client.get("/admin/").text


def test_control_characters_in_the_reason_are_cleaned_and_markup_escaped(app):
    client = logged_in_admin(app)
    pause(client, "<b>bots</b>\x07 again")
    page = client.get("/admin/").text
    assert f"({escape('<b>bots</b> again')})" in page and "<b>bots</b>" not in page


def test_the_public_pages_drop_their_sign_buttons_while_paused(app):
    client = logged_in_admin(app)
    public = app.test_client()
    for path in ("/", "/de/"):
        page = public.get(path).text
        assert all(link in page for link in SIGN_LINKS), path
    pause(client, "checking")
    for path in ("/", "/de/"):
        page = public.get(path).text
        assert not any(link in page for link in SIGN_LINKS), path
        assert 'name="email"' not in page
    assert 'class="button" href="/#sign"' not in public.get("/safety").text
    pause(client, action="resume")
    assert all(link in public.get("/").text for link in SIGN_LINKS)


def test_the_fraud_page_offers_the_pause_beside_what_to_do(app):
    client = logged_in_admin(app)
    page = client.get("/admin/fraud").text
    first_aid = page[page.index('id="first-aid-title"') : page.index('id="match"')]
    assert 'name="pause_reason"' in first_aid and 'value="pause"' in first_aid
    assert '<option selected value="">Choose what to do</option>' in page


@pytest.mark.parametrize("action", [None, "", "delete"])
def test_a_fraud_check_without_a_choice_gets_a_clear_error(app, action):
    client = logged_in_admin(app)
    token = csrf_token_from(client.get("/admin/fraud").text)
    data = {"csrf_token": token, "domain": "example.org"}
    if action is not None:
        data["action"] = action
    answer = client.post("/admin/fraud/check", data=data)
    assert answer.status_code == 422
    assert "Choose what to do: invalidate or revalidate." in answer.text
    assert "Matches: nothing has changed yet" not in answer.text
