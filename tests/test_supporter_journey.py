"""Before many have signed, after signing, after confirming: what the supporter sees, and
the notice admins set for everyone."""

import re

from support import csrf_token_from, sign

from campaign_site.extensions import db
from campaign_site.models import Signature
from campaign_site.petition import link_tokens

NETWORKS = ["Email", "WhatsApp", "Telegram", "VK", "X", "Facebook", "LinkedIn", "Bluesky"]


def confirm_link(app) -> str:
    with app.app_context():
        signature = db.session.scalars(db.select(Signature).where(Signature.is_pending)).one()
        return f"/confirm/{link_tokens.make_token(signature, link_tokens.CONFIRM)}"


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# --- before many have signed --------------------------------------------------------


def test_below_the_threshold_the_page_invites_the_first_signers(app_factory):
    client = app_factory(FIRST_SIGNERS_THRESHOLD=100).test_client()
    html = text_of(client.get("/"))
    assert "Be one of the first to sign" in html
    assert "people have signed" not in html and "<progress" not in html
    russian = text_of(client.get("/ru/"))
    assert 'lang="ru"' in russian and "Be one of the first" not in russian  # translated


def test_from_the_threshold_on_the_page_shows_the_count(app_factory):
    app = app_factory(FIRST_SIGNERS_THRESHOLD=1, CONFIRMATION_REQUIRED=False)
    client = app.test_client()
    sign(client)
    html = text_of(client.get("/"))
    assert "Be one of the first" not in html
    assert re.search(
        r"<strong data-count>1</strong> <span data-count-phrase>person has signed", html
    )


# --- after signing, before confirming -----------------------------------------------


def test_before_confirming_sharing_waits_and_never_says_i_signed(client):
    sign(client)
    html = text_of(client.get("/thank-you"))
    assert "Please confirm your signature first" in html
    assert "I signed" not in html and "I%20signed" not in html
    assert "wa.me" not in html and "t.me/share" not in html


def test_without_confirmation_the_thank_you_page_offers_sharing(app_factory):
    client = app_factory(CONFIRMATION_REQUIRED=False).test_client()
    html = text_of(client.get("/thank-you"))
    for network in NETWORKS:
        assert f">{network}<" in html
    assert "I%20signed" in html


# --- after confirming ---------------------------------------------------------------


def test_the_confirmation_page_thanks_by_the_shown_name_counts_them_and_offers_sharing(app):
    client = app.test_client()
    sign(client, name="Олена Коваль", show_name="y")
    html = text_of(client.get("/uk" + confirm_link(app)))
    assert 'lang="uk"' in html and "Олена" in html
    assert "Коваль" not in html  # the given name only, never the family name
    assert re.search(r"\b1\b", html[html.index("confirmed__count") :][:200])
    assert ">Ел. пошта<" in html and 'href="mailto:?subject=' in html
    for network in NETWORKS[1:]:
        assert f">{network}<" in html
    # Each network's link is tagged, so organisers see which network brings signers.
    assert (
        "https://vk.com/share.php?url=http%3A%2F%2Flocalhost%2Fuk%2F%3Fsource%3Dshare%3Avk" in html
    )
    assert "https://wa.me/?text=" in html and "source%3Dshare%3Awhatsapp" in html
    assert 'data-copy-link="share-url"' in html
    assert 'value="http://localhost/uk/?source=share:link"' in html
    assert 'href="/uk/#films"' in html  # next steps: watch the film, tell a friend
    assert "mailto:?subject=" in html


def test_a_signer_who_chose_not_to_be_shown_is_thanked_without_a_name(app):
    client = app.test_client()
    sign(client, name="Hidden Person")
    html = text_of(client.get(confirm_link(app)))
    assert "Thank you: your signature is confirmed" in html
    assert "Hidden" not in html


def test_the_confirmation_page_is_never_cached_and_leaks_no_token(app):
    client = app.test_client()
    sign(client)
    response = client.get(confirm_link(app))
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


# --- the site notice ----------------------------------------------------------------


def set_notice(client, **texts):
    token = csrf_token_from(text_of(client.get("/admin/notice")))
    data = {"csrf_token": token, "en": "", "de": "", "ru": "", "uk": "", **texts}
    return client.post("/admin/notice", data=data)


def test_admins_set_a_notice_every_public_page_shows_in_its_language(admin_client):
    response = set_notice(
        admin_client, en="Emails are delayed today.", de="E-Mails verzögern sich."
    )
    assert response.status_code == 303
    assert "Emails are delayed today." in text_of(admin_client.get("/"))
    assert "E-Mails verzögern sich." in text_of(admin_client.get("/de/privacy"))
    assert "Emails are delayed today." in text_of(admin_client.get("/ru/"))  # English fall-back
    assert "Emails are delayed today." in text_of(admin_client.get("/admin/"))

    assert set_notice(admin_client).status_code == 303  # every box empty: no notice
    assert "Emails are delayed" not in text_of(admin_client.get("/"))


def test_a_notice_is_plain_text(admin_client):
    set_notice(admin_client, en="<script>alert(1)</script> Outage")
    html = text_of(admin_client.get("/"))
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_a_bad_notice_is_refused_with_a_reason_and_nothing_changes(admin_client):
    set_notice(admin_client, en="Kept.")
    too_long = set_notice(admin_client, en="x" * 251)
    assert too_long.status_code == 422 and "under 250 characters" in too_long.get_data(as_text=True)
    no_english = set_notice(admin_client, de="Nur Deutsch")
    assert no_english.status_code == 422
    assert "Write the English text too" in no_english.get_data(as_text=True)
    assert "Kept." in text_of(admin_client.get("/"))


def test_the_notice_needs_a_login_and_a_csrf_token(client, admin_client):
    anonymous = client.application.test_client()
    assert anonymous.post("/admin/notice", data={"en": "Anonymous"}).status_code in (302, 303, 400)
    assert "Anonymous" not in text_of(client.get("/"))
    forged = admin_client.post("/admin/notice", data={"en": "Forged"})
    assert forged.status_code == 400
    assert "Forged" not in text_of(admin_client.get("/"))
