"""Bots are turned away without being told, one mailbox signs once however it is spelled,
and signing can be paused in an emergency."""

import re
import time

import pytest
from support import (
    blind_index_of,
    csrf_token_from,
    form_fields,
    log_in,
    sign,
    stored_signatures,
)


def test_a_filled_honeypot_gets_the_thank_you_and_stores_nothing(app, client):
    response = sign(client, leave_this_empty="http://spam.example")
    assert (response.status_code, response.headers["Location"]) == (303, "/thank-you")
    assert stored_signatures(app) == []


def test_the_honeypot_is_hidden_and_kept_away_from_autofill(client):
    html = client.get("/").get_data(as_text=True)
    assert '<div class="hp" aria-hidden="true">' in html
    field = re.search(r'<input[^>]*name="leave_this_empty"[^>]*>', html).group(0)
    assert 'tabindex="-1"' in field and 'autocomplete="off"' in field
    assert "data-1p-ignore" in field and 'data-lpignore="true"' in field


def test_a_form_sent_back_fast_is_stored_and_marked_never_dropped(app_factory):
    """Phone autofill fills the form in a second: a real supporter, kept for review."""
    app = app_factory(SIGNING_MIN_SECONDS=3)
    response = sign(app.test_client())
    assert (response.status_code, response.headers["Location"]) == (303, "/thank-you")
    [signature] = stored_signatures(app)
    assert signature.review_marks == "too_fast"


def test_a_person_taking_their_time_is_stored_unmarked(app_factory, monkeypatch):
    app = app_factory(SIGNING_MIN_SECONDS=3)
    client = app.test_client()
    hidden = form_fields(client)
    later = time.time() + 4
    monkeypatch.setattr("campaign_site.public.bots.time.time", lambda: later)
    response = client.post(
        "/sign",
        data={
            "given_name": "Slow",
            "family_name": "Reader",
            "email": "slow@example.org",
            "country": "DE",
            **hidden,
        },
    )
    assert response.status_code == 303
    [signature] = stored_signatures(app)
    assert signature.review_marks == ""


@pytest.mark.parametrize("stamp", [None, "", "forged", "MTIz.forged-signature"])
def test_a_missing_or_forged_form_stamp_is_stored_and_marked(app, client, stamp):
    response = sign(client, started=stamp)
    assert response.status_code == 303
    [signature] = stored_signatures(app)
    assert signature.review_marks == "no_form_stamp"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("jane.doe@gmail.com", "janedoe@gmail.com"),
        ("jane.doe@gmail.com", "J.A.N.E.D.O.E@Gmail.com"),
        ("janedoe@gmail.com", "jane.doe+petition@googlemail.com"),
        ("jane@example.org", "jane+magnitsky@example.org"),
        ("jane@example.org", "JANE+x+y@EXAMPLE.ORG"),
    ],
)
def test_aliases_of_one_mailbox_sign_once(app, client, first, second):
    sign(client, email=first)
    second_response = sign(client, email=second)
    assert second_response.headers["Location"] == "/thank-you"
    [signature] = stored_signatures(app)
    assert signature.email.lower() == first.lower()  # kept as typed, for mail


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("jane.doe@example.org", "janedoe@example.org"),  # dots matter outside Gmail
        ("jane@example.org", "jane@example.com"),
    ],
)
def test_different_mailboxes_both_sign(app, client, first, second):
    sign(client, email=first)
    sign(client, email=second)
    assert len(stored_signatures(app)) == 2


def test_the_typed_address_is_kept_for_mail(app, client):
    sign(client, email="Jane.Doe+petition@gmail.com")
    [signature] = stored_signatures(app)
    assert signature.email == "Jane.Doe+petition@gmail.com"
    assert signature.mailbox_index == blind_index_of(app, "janedoe@gmail.com")


def test_the_pause_setting_shows_a_notice_and_refuses_politely(app_factory):
    app = app_factory(SIGNING_PAUSED=True)
    client = app.test_client()
    page = client.get("/")
    assert page.status_code == 200
    assert "Signing is paused for a short while" in page.get_data(as_text=True)
    token = csrf_token_from(client.get("/admin/login").get_data(as_text=True))
    response = client.post(
        "/sign",
        data={
            "given_name": "A",
            "family_name": "B",
            "email": "a@example.org",
            "country": "DE",
            "csrf_token": token,
        },
    )
    assert response.status_code == 503
    assert "Signing is paused" in response.get_data(as_text=True)
    assert stored_signatures(app) == []


def test_an_admin_pauses_and_resumes_signing_from_the_dashboard(app, client, admin_client):
    def press(action):
        token = csrf_token_from(admin_client.get("/admin/").get_data(as_text=True))
        return admin_client.post("/admin/signing", data={"action": action, "csrf_token": token})

    assert press("pause").status_code == 303
    assert "Signing is paused." in admin_client.get("/admin/").get_data(as_text=True)
    visitor = app.test_client()
    assert "Signing is paused for a short while" in visitor.get("/").get_data(as_text=True)
    token = csrf_token_from(visitor.get("/admin/login").get_data(as_text=True))
    refused = visitor.post(
        "/sign",
        data={
            "given_name": "A",
            "family_name": "B",
            "email": "a@example.org",
            "country": "DE",
            "csrf_token": token,
        },
    )
    assert refused.status_code == 503

    press("resume")
    assert sign(app.test_client()).status_code == 303
    assert len(stored_signatures(app)) == 1


def test_pausing_needs_a_logged_in_admin_and_a_csrf_token(app, client, admin_client):
    assert admin_client.post("/admin/signing", data={"action": "pause"}).status_code == 400
    anonymous = app.test_client()
    token = csrf_token_from(anonymous.get("/admin/login").get_data(as_text=True))
    assert (
        anonymous.post("/admin/signing", data={"action": "pause", "csrf_token": token}).status_code
        == 302
    )
    assert sign(app.test_client()).status_code == 303


def test_the_admin_sees_the_state_they_set_at_once_with_a_confirmation(
    app_factory, admin_credentials
):
    """With the short cache in force, the admin's own next page still shows the new state."""
    email, password = admin_credentials
    app = app_factory(PUBLIC_CACHE_SECONDS=60)
    admin = app.test_client()
    log_in(admin, email, password)
    assert "Signing is open." in admin.get("/admin/").get_data(as_text=True)  # now cached
    app.test_client().get("/")  # the public page is cached too

    token = csrf_token_from(admin.get("/admin/").get_data(as_text=True))
    page = admin.post(
        "/admin/signing", data={"action": "pause", "csrf_token": token}, follow_redirects=True
    )
    html = page.get_data(as_text=True)
    assert "Signing is paused. Every server shows the notice within 60 seconds." in html
    assert "<strong>Signing is paused.</strong>" in html and "Signing is open." not in html
    assert "Signing is paused for a short while" in app.test_client().get("/").get_data(
        as_text=True
    )

    token = csrf_token_from(html)
    page = admin.post(
        "/admin/signing", data={"action": "resume", "csrf_token": token}, follow_redirects=True
    )
    assert "Signing is open again" in page.get_data(as_text=True)
    assert "Signing is open." in page.get_data(as_text=True)
