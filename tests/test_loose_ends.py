"""Small things a supporter notices: every message in their language, an icon where
browsers look for it, the campaign's name on our emails, and private development mail."""

import stat
from pathlib import Path

import pytest
from support import VALID_SIGNATURE, form_fields, run_worker, sign, stored_signatures

CROSS_SITE_REFUSAL = {
    "": "This form can only be sent from our own page",
    "/de": "Dieses Formular kann nur von unserer eigenen Seite gesendet werden",
    "/ru": "Эту форму можно отправить только с нашей собственной страницы",
    "/uk": "Цю форму можна надіслати лише з нашої власної сторінки",
}


@pytest.mark.parametrize("language", list(CROSS_SITE_REFUSAL))
def test_the_cross_site_refusal_is_in_the_visitors_language(app, language):
    client = app.test_client()
    fields = {**form_fields(client, language), **VALID_SIGNATURE}
    response = client.post(
        language + "/sign", data=fields, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403
    assert CROSS_SITE_REFUSAL[language] in response.get_data(as_text=True)
    assert stored_signatures(app) == []


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    icon = client.get(response.headers["Location"])
    icon.close()
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


@pytest.mark.parametrize(
    ("language", "sender"),
    [
        ("", "Justice for Sergei Magnitsky"),
        ("/de", "Gerechtigkeit für Sergei Magnitsky"),
        ("/ru", "Справедливость для Сергея Магнитского"),
        ("/uk", "Справедливість для Сергія Магнітського"),
    ],
)
def test_the_emails_from_name_is_in_the_supporters_language(
    mail_app, mail_server, language, sender
):
    client = mail_app.test_client()
    hidden = form_fields(client, language)
    client.post(language + "/sign", data={**VALID_SIGNATURE, **hidden})
    run_worker(mail_app)
    [message] = mail_server.inbox.messages
    assert message["From"].addresses[0].display_name == sender
    assert message["From"].addresses[0].addr_spec == "petition@localhost"


@pytest.mark.parametrize("language", ["/de", "/ru", "/uk"])
def test_film_cards_carry_no_english_subtitle_in_other_languages(client, language):
    html = client.get(language + "/").get_data(as_text=True)
    card = html[html.index('id="film-files-title"') :]
    card = card[: card.index("</article>")]
    assert (
        "Organized Crime" not in card and 'lang="en"' not in card
    )  # the original stays in JSON-LD


def test_development_emails_are_readable_by_their_owner_only(app_factory, tmp_path):
    outbox = tmp_path / "outbox"
    app = app_factory(MAIL_OUTBOX_DIR=str(outbox))
    for n in range(3):  # written within the same microsecond, none may overwrite another
        sign(app.test_client(), email=f"dev{n}@example.org")
    run_worker(app)
    files = sorted(Path(outbox).glob("*.eml"))
    assert len(files) == 3
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
