"""The campaign in every language of campaign_site/languages.py: pages, plurals, numbers, the
language switcher, first-visit negotiation, emails in the signer's language, the catalogs."""

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import update
from support import form_fields, log_in

from campaign_site.extensions import db
from campaign_site.languages import CODES, DEFAULT_LANGUAGE, TRANSLATED
from campaign_site.models import SignatureCountShard

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "campaign_site" / "translations"
PREFIX = {code: "" if code == DEFAULT_LANGUAGE else f"/{code}" for code in CODES}
HEADINGS = {
    "en": "Sergei Magnitsky exposed a $230 million fraud. He died in custody for it.",
    "de": "Sergei Magnitsky deckte einen Betrug über 230 Millionen Dollar auf. Dafür starb er in Haft.",
    "fr": "Sergei Magnitsky a révélé une fraude de 230\u00a0millions de dollars. Il est mort en détention pour l’avoir dénoncée.",
    "ru": "Сергей Магнитский раскрыл мошенничество на 230 миллионов долларов. За это он погиб в заключении.",
    "uk": "Сергій Магнітський викрив шахрайство на 230 мільйонів доларів. За це він загинув в ув'язненні.",
}
PRIVACY_HEADINGS = {
    "en": "How we handle your data",
    "de": "Wie wir mit Ihren Daten umgehen",
    "fr": "Comment nous traitons vos données",
    "ru": "Как мы обращаемся с вашими данными",
    "uk": "Як ми поводимося з вашими даними",
}


def page(client, path: str) -> str:
    response = client.get(path, headers={"Accept-Language": "en"})
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def h1(html: str) -> str:
    return re.search(r"<h1[^>]*>([^<]+)</h1>", html).group(1).replace("&#39;", "'")


@pytest.mark.parametrize("language", PREFIX)
def test_every_page_in_every_language(client, language):
    prefix = PREFIX[language]
    home = page(client, f"{prefix}/")
    assert f'<html lang="{language}">' in home
    assert h1(home) == HEADINGS[language]
    privacy = page(client, f"{prefix}/privacy")
    assert f'<html lang="{language}">' in privacy and h1(privacy) == PRIVACY_HEADINGS[language]
    thanks = page(client, f"{prefix}/thank-you")
    assert f'<html lang="{language}">' in thanks
    broken_link = client.get(f"{prefix}/confirm/not-a-token")
    assert broken_link.status_code == 404 and f'<html lang="{language}">' in broken_link.get_data(
        as_text=True
    )
    missing = client.get(f"{prefix}/no-such-page")
    assert missing.status_code == 404 and f'<html lang="{language}">' in missing.get_data(
        as_text=True
    )
    if language != "en":  # every visible heading differs from the English one
        assert h1(thanks) != h1(page(client, "/thank-you"))


def set_count(app, count: int) -> None:
    with app.app_context():
        db.session.execute(update(SignatureCountShard).values(count=0))
        db.session.execute(
            update(SignatureCountShard).where(SignatureCountShard.shard == 0).values(count=count)
        )
        db.session.commit()


NBSP = "\u00a0"
PLURALS = {
    "en": {
        1: "1 person has signed",
        2: "2 people have signed",
        5: "5 people have signed",
        21: "21 people have signed",
        1_000_000: "1,000,000 people have signed",
    },
    "de": {
        1: "1 Person hat unterschrieben",
        2: "2 Menschen haben unterschrieben",
        5: "5 Menschen haben unterschrieben",
        21: "21 Menschen haben unterschrieben",
        1_000_000: "1.000.000 Menschen haben unterschrieben",
    },
    "ru": {
        1: "1 человек подписал",
        2: "2 человека подписали",
        5: "5 человек подписали",
        21: "21 человек подписал",
        1_000_000: f"1{NBSP}000{NBSP}000 человек подписали",
    },
    "uk": {
        1: "1 людина підписала",
        2: "2 людини підписали",
        5: "5 людей підписали",
        21: "21 людина підписала",
        1_000_000: f"1{NBSP}000{NBSP}000 людей підписали",
    },
}


@pytest.mark.parametrize("language", PLURALS)
def test_plural_forms_and_number_formats(app, client, language):
    for count, expected in PLURALS[language].items():
        set_count(app, count)
        html = page(client, f"{PREFIX[language]}/")
        number, phrase = re.search(
            r"<strong data-count>([^<]+)</strong> <span data-count-phrase>([^<]+)</span>", html
        ).groups()
        assert f"{number} {phrase}" == expected


def test_switcher_links_to_this_page_in_each_language(client):
    html = page(client, "/ru/privacy")
    switcher = re.search(r'<nav class="languages".*?</nav>', html, re.S).group(0)
    links = dict(re.findall(r'<a href="([^"]+)" lang="(\w+)"', switcher))
    assert links == {f"{PREFIX[code]}/privacy": code for code in CODES}
    assert re.search(r'href="/ru/privacy" lang="ru" hreflang="ru" aria-current="true"', switcher)
    home_switcher = re.search(r'<nav class="languages".*?</nav>', page(client, "/uk/"), re.S)
    assert 'href="/" lang="en"' in home_switcher.group(0)  # / is English whatever the browser


def test_alternates_and_canonical_per_language(app, client):
    public = app.config["PUBLIC_URL"]
    html = page(client, "/de/")
    assert f'<link rel="canonical" href="{public}/de/">' in html
    for language, prefix in PREFIX.items():
        assert f'<link rel="alternate" hreflang="{language}" href="{public}{prefix}/">' in html
    assert f'<link rel="alternate" hreflang="x-default" href="{public}/">' in html


def test_the_root_is_english_for_everyone_and_offers_the_other_languages(app):
    """No redirect by Accept-Language: a shared cache keeps one copy of / for everyone.
    The English page carries a hidden offer per language, which site.js shows."""
    pages = [
        app.test_client().get("/", headers={"Accept-Language": accept})
        for accept in ("uk-UA,uk;q=0.9,en;q=0.5", "ru", "en-GB,de;q=0.5", "")
    ]
    assert {p.status_code for p in pages} == {200}
    assert len({p.data for p in pages}) == 1
    assert "Accept-Language" not in pages[0].headers.get("Vary", "")
    html = pages[0].text
    assert '<p lang="uk" data-suggest="uk" hidden><a href="/uk/" hreflang="uk">' in html
    assert "Diese Seite auf Deutsch lesen" in html and "Читать эту страницу по-русски" in html
    assert "data-lang-suggest" not in page(app.test_client(), "/de/")


def test_form_errors_and_country_names_in_the_page_language(client):
    hidden = form_fields(client, "/ru")
    response = client.post(
        "/ru/sign", data={**hidden, "given_name": "", "email": "нет", "country": ""}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Пожалуйста, укажите имя." in html
    assert "Пожалуйста, проверьте адрес электронной почты" in html
    assert '<option value="UA">Украина</option>' in html
    names = re.findall(r'<option value="[A-Z]{2}">([^<]+)</option>', page(client, "/uk/"))
    assert names.index("Україна") < names.index("Уругвай")  # Ukrainian alphabetical order
    assert names.index("Австрія") < names.index("Німеччина")


def test_full_flow_in_russian_with_a_cyrillic_name(mail_app, mail_server, admin_credentials):
    client = mail_app.test_client()
    hidden = form_fields(client, "/ru")
    response = client.post(
        "/ru/sign",
        data={
            **hidden,
            "given_name": "Анна Сергеевна",
            "family_name": "Политковская",
            "email": "anna.ru@example.org",
            "country": "RU",
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == "/ru/thank-you"
    assert "Пожалуйста, проверьте почту." in page(client, "/ru/thank-you")
    result = mail_app.test_cli_runner().invoke(args=["mail-worker", "--once"])
    assert result.exit_code == 0, result.output

    [message] = mail_server.inbox.to("anna.ru@example.org")
    assert message["Subject"] == "Подтвердите свою подпись: справедливость для Сергея"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert text.startswith("Здравствуйте!")  # no name before the address is confirmed
    confirm = re.search(r"http://localhost(/ru/confirm/\S+)", text).group(1)
    confirmed = client.get(confirm).get_data(as_text=True)
    assert '<html lang="ru">' in confirmed and "Спасибо: ваша подпись подтверждена" in confirmed

    admin = mail_app.test_client()
    log_in(admin, *admin_credentials)
    body = admin.get("/admin/signatures.csv").get_data()
    [row] = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert (row["given_name"], row["family_name"], row["language"], row["country"]) == (
        "Анна Сергеевна",
        "Политковская",
        "ru",
        "RU",
    )
    dashboard = admin.get("/admin/signatures").get_data(as_text=True)
    assert re.search(r"<td>Русский</td><td class=\"num\">1</td>", dashboard)


def catalogs():
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def test_there_is_a_catalog_for_each_language():
    assert sorted(p.parts[-3] for p in catalogs()) == sorted(TRANSLATED)


@pytest.fixture(scope="module")
def wanted_messages(tmp_path_factory) -> set:
    """Every string in the code and templates today, as `make translations-extract` finds
    them (extracted once for all the catalogs)."""
    tmp_path = tmp_path_factory.mktemp("extracted")
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            Path(sys.executable).parent / "pybabel",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            pot,
            "--no-location",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        # babel.cfg names campaign_site.content's extractor for the content file
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    with open(pot, "rb") as f:
        return {m.id for m in read_po(f) if m.id}


@pytest.mark.parametrize("path", catalogs(), ids=lambda p: p.parts[-3])
def test_catalog_is_complete_with_nothing_fuzzy_or_stale(path, wanted_messages):
    with open(path, "rb") as f:
        catalog = read_po(f)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            problems.append(f"untranslated: {message.id!r}")
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if len(strings) != catalog.num_plurals and isinstance(message.id, tuple):
            problems.append(f"wrong number of plural forms: {message.id!r}")
    assert not problems, "\n".join(problems)
    assert not catalog.obsolete, f"obsolete entries: {list(catalog.obsolete)}"
    # Every string in the code and templates today is in the catalog.
    assert wanted_messages - {m.id for m in catalog if m.id} == set()


USER_FACING_ATTRIBUTES = re.compile(r'\s(?:aria-label|alt|title|placeholder)="([^"]*)"')


@pytest.mark.parametrize(
    "template",
    sorted(
        str(p.relative_to(ROOT / "templates"))
        for p in (ROOT / "templates").rglob("*")
        if p.is_file() and p.parts[-2] not in ("admin", "seo")
    ),
)
def test_templates_have_no_user_facing_text_outside_translation_calls(template):
    source = (ROOT / "templates" / template).read_text()
    text = re.sub(r"\{%-?\s*trans\b.*?endtrans\s*-?%\}", "", source, flags=re.S)
    for attribute in USER_FACING_ATTRIBUTES.findall(text):
        assert "{{" in attribute or not re.search(r"[^\W\d_]", attribute), attribute
    text = re.sub(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", " ", text, flags=re.S)
    text = re.sub(r"<style.*?</style>|<script.*?</script>|<[^>]+>", " ", text, flags=re.S)
    text = re.sub(r"&[a-z]+;", " ", text)
    leftovers = [word for word in text.split() if re.search(r"[^\W\d_]", word)]
    assert leftovers == [], f"text outside a translation call: {leftovers[:10]}"


PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")
TAG = re.compile(r"</?[a-z]+[^>]*>")


@pytest.mark.parametrize("path", catalogs(), ids=lambda p: p.parts[-3])
def test_translations_keep_every_placeholder_and_tag(path):
    """A lost %(count)s or <cite> would break the page or the sentence in that language."""
    with open(path, "rb") as f:
        catalog = read_po(f)
    for message in catalog:
        if not message.id:
            continue
        source = message.id[-1] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == set(PLACEHOLDER.findall(source)), (
                source,
                string,
            )
            assert TAG.findall(string) == TAG.findall(source), (source, string)


def test_live_count_gets_a_phrase_for_every_plural_category(client):
    """site.js picks data-phrase-<category> with Intl.PluralRules when the count changes."""

    def phrases(path):
        tally = re.search(r'<div class="tally"[^>]*>', page(client, path)).group(0)
        return dict(re.findall(r'data-phrase-(\w+)="([^"]*)"', tally))

    assert phrases("/ru/") == {
        "one": "человек подписал",
        "few": "человека подписали",
        "many": "человек подписали",
    }
    assert phrases("/uk/") == {
        "one": "людина підписала",
        "few": "людини підписали",
        "many": "людей підписали",
    }
    assert phrases("/") == {"one": "person has signed", "other": "people have signed"}
    assert phrases("/de/") == {
        "one": "Person hat unterschrieben",
        "other": "Menschen haben unterschrieben",
    }


def test_nginx_caches_the_public_pages_of_every_language():
    """deploy/'s cached-pages locations name the language prefixes themselves: they must
    list exactly the registry's, or a new language's pages would bypass the cache."""
    for conf in ("nginx/campaign_site.conf", "tor/campaign_site_onion.conf"):
        text = (ROOT / "deploy" / conf).read_text()
        prefixes = re.findall(r'location ~ "\^/\(\?:\(\?:([a-z|]+)\)/\)\?', text)
        assert prefixes and all(sorted(p.split("|")) == sorted(TRANSLATED) for p in prefixes)


@pytest.mark.parametrize("language", CODES)
def test_numbers_are_grouped_as_babel_groups_them_in_every_language(
    app_factory_without_database, language
):
    """The thousands filter groups by itself for speed; it must say what Babel says."""
    from babel.numbers import format_decimal

    from campaign_site.web.i18n import LANGUAGE_KEY
    from campaign_site.web.template_filters import thousands

    app = app_factory_without_database()
    values = [0, 7, 999, 1000, 9999, 12345, 100000, 1234567, 10**9, -1500]
    with app.test_request_context("/", environ_overrides={LANGUAGE_KEY: language}):
        assert [thousands(v) for v in values] == [
            format_decimal(v, locale=language) for v in values
        ]
