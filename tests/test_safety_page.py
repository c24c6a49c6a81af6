"""/safety, for people who sign from Russia or Belarus: in every language, with what they
need to know, reached from every form (above it on the Russian and Ukrainian pages) and from
the footer, cached like the other public pages."""

import re

import pytest
from support import form_fields, onion_address

PREFIX = {"en": "", "de": "/de", "ru": "/ru", "uk": "/uk"}
HEADINGS = {
    "en": "How to sign safely",
    "de": "So unterschreiben Sie sicher",
    "ru": "Как подписать безопасно",
    "uk": "Як підписати безпечно",
}
# One sentence of each part a supporter under pressure must find, per language.
KEY_SENTENCES = {
    "en": [
        "A signature on this petition could be used against you.",
        "We do not store your IP address with your signature.",
        "It says nothing about the campaign.",
        "for example Proton Mail, Tuta or Gmail",
        "write to the Telegram bot @GetBridgesBot, or send an email to bridges@torproject.org",
        "Withdrawing erases your signature and your details at once.",
    ],
    "de": [
        "Eine Unterschrift unter dieser Petition könnte gegen Sie verwendet werden.",
        "Wir speichern Ihre IP-Adresse nicht zusammen mit Ihrer Unterschrift.",
        "Sie sagt nichts über die Kampagne.",
        "zum Beispiel Proton Mail, Tuta oder Gmail",
        "Schreiben Sie dem Telegram-Bot @GetBridgesBot oder senden Sie eine E-Mail an bridges@torproject.org",
        "Der Widerruf löscht Ihre Unterschrift und Ihre Angaben sofort.",
    ],
    "ru": [
        "Подпись под этой петицией могут использовать против вас.",
        "Мы не храним ваш IP-адрес вместе с подписью.",
        "О кампании в нём не будет ни слова.",
        "например Proton Mail, Tuta или Gmail",
        "напишите Telegram-боту @GetBridgesBot или отправьте письмо на bridges@torproject.org",
        "Отзыв сразу удаляет вашу подпись и ваши данные.",
    ],
    "uk": [
        "Підпис під цією петицією можуть використати проти вас.",
        "Ми не зберігаємо вашу IP-адресу разом із підписом.",
        "Про кампанію в ньому не буде ані слова.",
        "наприклад Proton Mail, Tuta чи Gmail",
        "напишіть Telegram-боту @GetBridgesBot або надішліть лист на bridges@torproject.org",
        "Відкликання одразу видаляє ваш підпис і ваші дані.",
    ],
}
NOTE = re.compile(r'<div class="safety-note">.*?</div>', re.S)


def text_of(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True).replace("&#39;", "'")


@pytest.mark.parametrize("language", PREFIX)
def test_the_safety_page_in_every_language(client, language):
    html = text_of(client.get(f"{PREFIX[language]}/safety"))
    assert f'<html lang="{language}">' in html
    assert re.search(r"<h1[^>]*>([^<]+)</h1>", html).group(1) == HEADINGS[language]
    for sentence in KEY_SENTENCES[language]:
        assert sentence in html, sentence


def test_the_onion_address_is_shown_only_when_there_is_one(app_factory):
    without = text_of(app_factory().test_client().get("/ru/safety"))
    assert "onion" not in without.replace("«.onion»", "")
    onion = onion_address(7)
    shown = text_of(app_factory(ONION_URL=f"http://{onion}").test_client().get("/ru/safety"))
    assert "Наш onion-адрес" in shown
    assert f'<a href="http://{onion}/">http://{onion}</a>' in shown


def test_the_safety_page_is_public_cached_and_in_the_sitemap(app_factory):
    app = app_factory(PUBLIC_CACHE_MAX_AGE=30, PUBLIC_CACHE_S_MAXAGE=90)
    response = app.test_client().get("/uk/safety")
    assert "public" in response.headers["Cache-Control"] and "Set-Cookie" not in response.headers
    sitemap = app.test_client().get("/sitemap.xml").get_data(as_text=True)
    public = app.config["PUBLIC_URL"]
    for prefix in PREFIX.values():
        assert f"<loc>{public}{prefix}/safety</loc>" in sitemap


@pytest.mark.parametrize("language", ["ru", "uk"])
@pytest.mark.parametrize("page", ["/", "/embed"])
def test_russian_and_ukrainian_forms_have_the_note_above_them(client, language, page):
    html = text_of(client.get(f"/{language}{page}"))
    note = NOTE.search(html)
    assert note, "no note on signing safely"
    assert f'href="/{language}/safety"' in note.group(0)
    assert note.start() < html.index('<form class="sign__form"')
    if page == "/embed":  # links in the partner's frame open a new tab
        assert 'target="_blank" rel="noopener">' in note.group(0)


@pytest.mark.parametrize("prefix", ["", "/de"])
@pytest.mark.parametrize("page", ["/", "/embed"])
def test_the_other_forms_link_to_the_safety_page_beside_them(client, prefix, page):
    html = text_of(client.get(f"{prefix}{page}"))
    assert not NOTE.search(html)
    form_end = html.index("</form>")
    link = html.index(f'href="{prefix}/safety"', form_end)
    assert link - form_end < 1000  # right under the form, before anything else


def test_the_form_sent_back_with_errors_keeps_the_note(client):
    response = client.post("/ru/sign", data={**form_fields(client, "/ru"), "email": "нет"})
    assert response.status_code == 422
    assert NOTE.search(response.get_data(as_text=True))


@pytest.mark.parametrize("path", ["/privacy", "/ru/thank-you", "/uk/contact", "/de/accessibility"])
def test_every_page_links_to_it_in_the_footer(client, path):
    html = text_of(client.get(path))
    footer = re.search(r'<footer class="site-footer">.*?</footer>', html, re.S).group(0)
    prefix = path.rsplit("/", 1)[0]
    assert f'href="{prefix}/safety"' in footer
