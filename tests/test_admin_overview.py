"""An organiser's admin: the dashboard is a short overview that lists what needs attention
and links to the sections; signatures, export, settings and help have pages of their own,
and every mark, flag, code and setting shown is explained in plain words."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import update
from support import csrf_token_from, log_in, sign

from campaign_site.accounts.permissions import OWNER, ROLE_PERMISSIONS, ROLES, Permission
from campaign_site.admin.fraud_forms import MARKS
from campaign_site.admin.glossary import NEVER_SHOWN, REVIEW_MARKS, SETTINGS
from campaign_site.content import DEFAULT_CONTENT_FILE
from campaign_site.extensions import db
from campaign_site.models import OutboxMessage, utcnow

PASSWORD = "correct horse battery staple"
PAGES = ["/admin/", "/admin/signatures", "/admin/export", "/admin/settings", "/admin/help"]


def logged_in_as(app, role: str):
    email = f"{role}@example.org"
    args = ["create-admin", email, f"--role={role}"]
    assert app.test_cli_runner().invoke(args=args, input=PASSWORD + "\n").exit_code == 0
    client = app.test_client()
    assert log_in(client, email, PASSWORD).status_code == 303
    return client


def attention_list(html: str) -> str:
    """The overview's "Needs attention" section, up to the signing switch."""
    return html.split('id="attention"', 1)[1].split('id="signing"', 1)[0]


def test_the_overview_is_short_and_links_every_section(admin_client):
    sign(admin_client, email="a@example.org")
    html = admin_client.get("/admin/").get_data(as_text=True)
    assert "<dt>Waiting for confirmation</dt><dd>1</dd>" in html
    assert "<dt>Signed today (UTC)</dt><dd>1</dd>" in html
    for section in ("/admin/signatures", "/admin/export", "/admin/settings", "/admin/help"):
        assert f'href="{section}"' in html, section
    assert "chart-hours" not in html and "Export log" not in html  # on their own pages now


def test_paused_signing_is_listed_first_and_links_to_the_switch(admin_client):
    token = csrf_token_from(admin_client.get("/admin/").get_data(as_text=True))
    admin_client.post("/admin/signing", data={"action": "pause", "csrf_token": token})
    attention = attention_list(admin_client.get("/admin/").get_data(as_text=True))
    assert "Signing is paused." in attention
    assert 'href="#signing"' in attention


def test_an_open_site_lists_no_pause(admin_client):
    attention = attention_list(admin_client.get("/admin/").get_data(as_text=True))
    assert "Signing is paused." not in attention


def test_confirmations_waiting_too_long_are_listed_as_a_mail_backlog(app, admin_client):
    sign(admin_client, email="late@example.org")
    assert "waited more than" not in attention_list(admin_client.get("/admin/").text)
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(created_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
    attention = attention_list(admin_client.get("/admin/").text)
    assert "1 email waited more than 15 minutes to be sent." in attention
    assert 'href="/admin/help#mail-outage"' in attention


def test_the_signatures_page_has_the_totals_charts_and_tables(admin_client):
    html = admin_client.get("/admin/signatures").get_data(as_text=True)
    assert "<dt>All signatures</dt>" in html and 'id="chart-hours"' in html
    assert "Confirmed signatures by country" in html and "Confirmed signatures by language" in html


def test_the_export_page_has_the_csv_the_search_and_the_log(admin_client):
    html = admin_client.get("/admin/export").get_data(as_text=True)
    assert "/admin/signatures.csv?status=confirmed" in html
    assert 'action="/admin/find"' in html and "Export log" in html


@pytest.mark.parametrize("role", ROLES)
def test_each_page_opens_for_the_roles_the_map_allows(app, role):
    client = logged_in_as(app, role)
    needed = {"/admin/settings": Permission.VIEW_SETTINGS}
    for path in PAGES:
        allowed = needed.get(path, Permission.VIEW_DASHBOARD) in ROLE_PERMISSIONS[role]
        assert client.get(path).status_code == (200 if allowed else 403), path


def test_settings_are_explained_in_plain_words(admin_client, app):
    html = admin_client.get("/admin/settings").get_data(as_text=True)
    retention = app.config["NETWORK_HASH_RETENTION_DAYS"]
    assert f"Network codes are erased after {retention} days" in html
    assert "One internet address may sign at most 60 per minute, 600 per hour" in html
    assert "Confirmation by email required: yes." in html
    assert "No closing date is set" in html and "not set;" not in html
    for group in SETTINGS.values():
        for setting in group:
            assert f"<code>{setting.name}</code>" in html, setting.name


SECRETS = {
    "SECRET_KEY": "a-session-secret-that-must-stay-hidden",
    "MAIL_SMTP_USER": "smtp-login-name-hidden",
    "MAIL_SMTP_PASSWORD": "smtp-password-that-must-stay-hidden",
}


def test_settings_never_show_a_password_key_or_secret(app_factory):
    app = app_factory(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=9, MAIL_SMTP_TIMEOUT=1, **SECRETS)
    html = logged_in_as(app, OWNER).get("/admin/settings").get_data(as_text=True)
    assert "127.0.0.1" in html  # the mail server is shown, its login is not
    hidden = [name for name, value in app.config.items() if any(w in name for w in NEVER_SHOWN)]
    for name in hidden:
        value = app.config[name]
        for text in value if isinstance(value, list | tuple) else [value]:
            if isinstance(text, str | bytes) and len(text) >= 8:
                shown = text if isinstance(text, str) else text.hex()
                assert shown not in html, name
    assert not any(value in html for value in SECRETS.values())


def test_every_review_mark_is_explained_on_the_review_and_help_pages(app_factory):
    app = app_factory()
    assert set(REVIEW_MARKS) == set(MARKS)
    client = logged_in_as(app, OWNER)
    review = client.get("/admin/review")  # just logged in: no password asked again
    assert review.status_code == 200
    help_page = client.get("/admin/help").get_data(as_text=True)
    for explanation in REVIEW_MARKS.values():
        assert explanation in review.get_data(as_text=True)
        assert explanation in help_page


def test_the_help_page_has_the_glossary_and_the_playbook(admin_client):
    html = admin_client.get("/admin/help").get_data(as_text=True)
    for heading in ("A bot flood", "A mail outage", "A hostile press story", "Glossary"):
        assert heading in html
    assert "network bd94de53996f" in html  # a network code explained once
    assert 'href="/admin/notice"' in html and 'href="/admin/fraud"' in html


def test_the_fraud_page_speaks_of_what_the_settings_mean_not_their_names(admin_client, app):
    html = admin_client.get("/admin/fraud").get_data(as_text=True)
    retention = app.config["NETWORK_HASH_RETENTION_DAYS"]
    assert f"Network codes are erased after {retention} days" in html
    assert not re.search(r"NETWORK_HASH_RETENTION_DAYS|TRENDING_\w+_PER_HOUR", html)


def test_the_audit_log_explains_its_codes_once(admin_client):
    html = admin_client.get("/admin/audit").get_data(as_text=True)
    assert html.count("never holds an address") == 1


def test_content_missing_for_launch_is_listed_in_plain_words(app_factory):
    app = app_factory(CONTENT_FILE=str(DEFAULT_CONTENT_FILE))  # its addressee is left empty
    attention = attention_list(logged_in_as(app, OWNER).get("/admin/").text)
    assert "The campaign's content is not complete:" in attention
    assert "who the petition is addressed to (<code>petition.addressee</code>)" in attention


def test_complete_content_is_not_listed(admin_client):
    assert "content is not complete" not in attention_list(admin_client.get("/admin/").text)
