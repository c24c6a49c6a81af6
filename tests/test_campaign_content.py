"""The campaign's content file: who the petition asks and what for, the facts, the contact
and imprint, trailers and where to watch; production will not start without what the
sources cannot give."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from campaign_site import content, create_app
from campaign_site.content import DEFAULT_CONTENT_FILE, ContentError

ROOT = Path(__file__).resolve().parent.parent
TEST_CONTENT = Path(__file__).parent / "content" / "campaign.toml"


def content_file(tmp_path, **replacements: str) -> Path:
    """The test content file with some lines replaced (key = value, as written in it)."""
    text = TEST_CONTENT.read_text()
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "campaign.toml"
    path.write_text(text)
    return path


def page(client, path="/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- what the page says -------------------------------------------------------------


def test_the_petition_names_its_addressee_and_demands_beside_the_headline(client):
    html = page(client)
    hero = html[html.index('class="hero"') : html.index('id="story"')]
    assert "The Test Assembly (a test value)" in hero
    assert "held to account before an independent court" in hero
    assert hero.index("hero-title") < hero.index("The Test Assembly") < hero.index('id="sign"')


def test_the_content_is_shown_through_the_catalogs(client):
    german = page(client, "/de/")
    assert "held to account" not in german  # the demand, translated
    assert "Gerichts" in german or "Gericht" in german
    assert "<cite>" in german  # a film title in the timeline keeps its mark


def test_every_text_of_the_shipped_content_file_is_translated():
    shipped = content.load(DEFAULT_CONTENT_FILE)
    texts = [text for text in shipped.translatable() if text]
    for language in ("de", "ru", "uk"):
        path = ROOT / "campaign_site" / "translations" / language / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as file:
            catalog = read_po(file)
        missing = [text for text in texts if not (catalog.get(text) and catalog.get(text).string)]
        assert not missing, f"{language}: run make translations-update and translate {missing}"


def test_markup_in_the_content_file_is_escaped_except_film_titles(app_factory, tmp_path):
    path = content_file(
        tmp_path,
        **{
            'when = "2008"': 'when = "<b>2008</b>"',
            "and is arrested soon after.": "<script>x()</script>",
        },
    )
    html = page(app_factory(CONTENT_FILE=str(path)).test_client())
    assert "<script>x()" not in html and "&lt;script&gt;x()" in html
    assert "&lt;b&gt;2008" in html
    assert "<cite>Justice for Sergei</cite> receives" in html


def test_contact_imprint_and_accessibility_pages_are_linked_from_every_footer(client):
    for path in ("/", "/privacy", "/thank-you", "/de/contact", "/accessibility"):
        html = page(client, path)
        footer = html[html.index('class="site-footer"') :]
        for target in ("/privacy", "/contact", "/accessibility"):
            assert re.search(rf'href="(/de)?{target}"', footer), (path, target)
    contact = page(client, "/contact")
    assert "Test Campaign Office" in contact and "1 Test Street<br>" in contact
    assert 'href="mailto:contact@example.org"' in contact
    statement = page(client, "/uk/accessibility")
    assert 'lang="uk"' in statement and "WCAG" in statement
    assert "contact@example.org" in statement


def test_the_privacy_page_names_the_data_controller(app_factory, client, tmp_path):
    assert "Test Campaign Office" in page(client, "/privacy")  # the organisation by default
    path = content_file(
        tmp_path,
        **{'[data_controller]\nname = ""': '[data_controller]\nname = "Controller Ltd"'},
    )
    privacy = page(app_factory(CONTENT_FILE=str(path)).test_client(), "/ru/privacy")
    assert "Controller Ltd" in privacy


# --- trailers and where to watch ----------------------------------------------------


def test_without_trailers_no_frame_may_load_at_all(client):
    response = client.get("/")
    assert "frame-src 'none'" in response.headers["Content-Security-Policy"]
    assert "data-trailer-src" not in response.get_data(as_text=True)


def test_a_trailer_waits_behind_a_facade_that_names_its_service(app_factory, tmp_path):
    path = content_file(
        tmp_path,
        **{
            'trailer_url = ""': 'trailer_url = "https://www.youtube-nocookie.com/embed/abc"',
            'trailer_service = ""': 'trailer_service = "YouTube"',
            "where_to_watch = []": 'where_to_watch = [{ label = "Festival screenings", url = "https://films.example.org/justice" }]',
        },
    )
    response = app_factory(CONTENT_FILE=str(path)).test_client().get("/")
    html = response.get_data(as_text=True)
    assert "<iframe" not in html  # nothing from the host until play is pressed
    assert 'data-trailer-src="https://www.youtube-nocookie.com/embed/abc"' in html
    assert "loads the video from YouTube" in html
    assert 'href="https://films.example.org/justice"' in html and "Where to watch" in html
    csp = response.headers["Content-Security-Policy"]
    assert "frame-src https://www.youtube-nocookie.com" in csp
    assert "frame-ancestors 'none'" in csp


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('trailer_url = ""', 'trailer_url = "http://video.example.org/x"', "must be an https://"),
        ('trailer_url = ""', 'trailer_url = "javascript:alert(1)"', "must be an https://"),
        ('trailer_url = ""', 'trailer_url = "https://video.example.org/x"', "trailer_service"),
        ('email = "contact@example.org"', 'email = "not an address"', "not an email address"),
        ("[films.files]", "[films.other]\n[films.files]", "knows only"),
        ('addressee = "The Test Assembly (a test value)"', "addressee = 3", "must be text"),
        ('when = "2008"', "when = 2008 2008", "not valid TOML"),
    ],
)
def test_a_content_file_with_a_mistake_is_refused_with_what_to_fix(tmp_path, old, new, message):
    path = content_file(tmp_path, **{old: new})
    with pytest.raises(ContentError, match=message) as refused:
        content.load(path)
    assert str(path) in str(refused.value)


# --- production needs the entries the sources do not give ---------------------------


@pytest.fixture
def production(monkeypatch):
    from campaign_site.crypto.keyrings import new_key

    for name, value in {
        "APP_ENV": "production",
        "SECRET_KEY": "k" * 48,
        "DATABASE_URL": "postgresql+psycopg://campaign@db.internal/campaign",
        "PUBLIC_URL": "https://petition.example.org",
        "MAIL_SMTP_HOST": "smtp.example.org",
        "DISCREET_MAIL_SENDER": "Notifications <noreply@notes.example.net>",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        "DATA_ENCRYPTION_KEY": new_key(),
        "BLIND_INDEX_KEY": new_key(),
    }.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_production_starts_with_the_required_content(production):
    assert create_app().extensions["campaign_site.content"].addressee


@pytest.mark.parametrize("path", ["shipped", "without_addressee"])
def test_production_starts_without_the_required_content_and_waits_for_it(
    production, tmp_path, path
):
    """The checklist at /admin/launch takes over: the page says "launching soon" instead."""
    files = {
        "shipped": DEFAULT_CONTENT_FILE,
        "without_addressee": content_file(
            tmp_path, **{'addressee = "The Test Assembly (a test value)"': 'addressee = ""'}
        ),
    }
    production.setenv("CONTENT_FILE", str(files[path]))
    assert create_app().extensions["campaign_site.content"].missing_for_launch()


def test_development_starts_with_the_shipped_file_and_leaves_the_addressee_out(app_factory):
    client = app_factory(CONTENT_FILE=str(DEFAULT_CONTENT_FILE)).test_client()
    html = page(client)
    assert "petition__to" not in html
    assert "have not yet filled in their contact details" in page(client, "/contact")


def test_the_content_texts_are_extracted_for_the_catalogs():
    with DEFAULT_CONTENT_FILE.open("rb") as file:
        extracted = [message for _, _, message, _ in content.extract_messages(file, [], [], {})]
    assert "Autumn 2011" in extracted
    assert any("held to account" in message for message in extracted)
    assert len(extracted) == len(set(extracted))
