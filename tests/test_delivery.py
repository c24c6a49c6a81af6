"""Handing the petition over: the public per-country counts (small countries folded), paper
signatures on a line of their own, and the printable delivery pack."""

import re

import pytest
from support import confirm_pending, csrf_token_from, sign


def sign_confirmed(app, client, country: str, n: int, show_name: bool = False, start: int = 0):
    for i in range(start, start + n):
        extra = {"show_name": "y"} if show_name else {}
        given = f"Signer{chr(97 + i % 26)}{country.lower()}"  # letters only: a shown name
        sign(
            client,
            email=f"{country.lower()}{i}@example.org",
            country=country,
            name=f"{given} Family",
            **extra,
        )
    confirm_pending(app, client)


@pytest.fixture
def country_app(app_factory):
    return app_factory(PUBLIC_COUNTRY_MIN=3)


def test_countries_below_the_threshold_are_only_other_countries(country_app):
    client = country_app.test_client()
    sign_confirmed(country_app, client, "DE", 3)
    sign_confirmed(country_app, client, "RU", 1)
    sign_confirmed(country_app, client, "BY", 2)
    sign(client, email="pending@example.org", country="FR")  # not confirmed: not counted
    answer = client.get("/api/count").get_json()
    assert answer["count"] == 6
    assert answer["countries"] == {"DE": 3, "other": 3}
    html = client.get("/").get_data(as_text=True)
    section = html[html.index('id="countries-title"') :]
    assert "Germany" in section and "Other countries" in section
    assert "Russia" not in section and "Belarus" not in section and "France" not in section
    russian = client.get("/ru/").get_data(as_text=True)
    assert "Германия" in russian[russian.index('id="countries-title"') :]


def test_no_country_section_before_any_country_reaches_the_threshold(country_app):
    client = country_app.test_client()
    sign_confirmed(country_app, client, "UA", 2)
    assert 'id="countries-title"' not in client.get("/").get_data(as_text=True)
    assert client.get("/api/count").get_json()["countries"] == {"other": 2}


def enter_paper(client, **fields):
    token = csrf_token_from(client.get("/admin/paper").get_data(as_text=True))
    data = {
        "csrf_token": token,
        "event": "",
        "country": "DE",
        "signatures": "40",
        "note": "",
        **fields,
    }
    return client.post("/admin/paper", data=data)


def test_paper_signatures_stay_out_of_the_online_count(app_factory, admin_credentials):
    from support import log_in

    app = app_factory(SHOW_PAPER_SIGNATURES=True)
    admin = app.test_client()
    assert log_in(admin, *admin_credentials).status_code == 303
    assert enter_paper(admin, note="Kino Babylon sheets").status_code == 303
    assert enter_paper(admin, signatures="-5", note="counted twice").status_code == 303
    answer = admin.get("/api/count").get_json()
    assert answer["count"] == 0 and answer["paper"] == 35
    page = admin.get("/").get_data(as_text=True)
    assert "Plus 35 signatures collected on paper" in page
    listing = admin.get("/admin/paper").get_data(as_text=True)
    assert "admin@example.org" in listing and "counted twice" in listing and "-5" in listing
    assert "Paper signatures entered: <strong>35</strong>" in admin.get(
        "/admin/signatures"
    ).get_data(as_text=True)


def test_paper_signatures_are_not_public_unless_asked(admin_client):
    enter_paper(admin_client)
    assert "paper" not in admin_client.get("/api/count").get_json()
    assert "collected on paper" not in admin_client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"signatures": "0"}, "between 1 and"),
        ({"signatures": "many"}, "Not a valid integer"),
        ({"signatures": "-1"}, "negative count"),
        ({"country": "XX"}, "not a country code"),
        ({"event": "999"}, "Not a valid choice"),
        ({"note": "n" * 201}, "under 200 characters"),
    ],
)
def test_bad_paper_entries_are_refused_and_nothing_is_stored(admin_client, fields, message):
    response = enter_paper(admin_client, **fields)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert "No paper signatures entered yet" in admin_client.get("/admin/paper").get_data(
        as_text=True
    )


def test_paper_entry_needs_a_login_and_a_token(client, admin_client):
    anonymous = client.application.test_client()
    assert anonymous.post(
        "/admin/paper", data={"country": "DE", "signatures": "5"}
    ).status_code in (302, 400)
    assert (
        admin_client.post("/admin/paper", data={"country": "DE", "signatures": "5"}).status_code
        == 400
    )
    assert "No paper signatures entered yet" in admin_client.get("/admin/paper").get_data(
        as_text=True
    )


def printed(response) -> str:
    """The pack as printed: from its own language's block on, without the admin's form."""
    html = response.get_data(as_text=True)
    return html[html.index('<div lang="') :]


def test_the_delivery_pack_has_the_petition_totals_and_no_personal_data(app, admin_client):
    sign_confirmed(app, admin_client, "DE", 12, show_name=True)
    sign_confirmed(app, admin_client, "RU", 1, show_name=True, start=50)
    enter_paper(admin_client, signatures="7")
    response = admin_client.get("/admin/delivery")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = printed(response)
    assert "The Test Assembly (a test value)" in html  # the addressee, from the content file
    assert "held to account before an independent court" in html
    assert re.search(r"Confirmed online signatures</dt><dd>13<", html)
    assert "Germany" in html and "Russia" not in html and "Other countries" in html
    assert "Signatures collected on paper" in html and ">7<" in html
    assert "@example.org" not in html.replace("admin@example.org", "") and "Signerade" not in html

    named = admin_client.get("/admin/delivery?names=yes").get_data(as_text=True)
    assert "Signerade, Germany" in named and "Signeryru, other countries" in named
    assert "Family" not in named  # given names only


def test_the_delivery_pack_needs_a_login(client):
    assert client.get("/admin/delivery").status_code == 302


def test_the_names_list_folds_countries_as_the_table_does(country_app, admin_credentials):
    """One signer in Germany: the table folds Germany into other countries, and so must the
    names list, or "Olga, Germany" would single her out."""
    from support import log_in

    admin = country_app.test_client()
    sign_confirmed(country_app, admin, "RU", 3, show_name=True)
    sign_confirmed(country_app, admin, "DE", 1, show_name=True, start=14)
    assert log_in(admin, *admin_credentials).status_code == 303
    html = printed(admin.get("/admin/delivery?names=yes"))
    assert "Signerode, other countries" in html and "Signeraru, Russia" in html
    assert "Germany" not in html and "Russia" in html


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Confirmed online signatures", "Online signatures by country", "To:"]),
        ("de", ["Bestätigte Online-Unterschriften", "Online-Unterschriften nach Land", "An:"]),
        ("fr", ["Signatures en ligne confirmées", "Signatures en ligne par pays"]),
        ("ru", ["Подтверждённые подписи онлайн", "Подписи онлайн по странам", "Германия"]),
        ("uk", ["Підтверджені підписи онлайн", "Підписи онлайн за країнами", "Німеччина"]),
    ],
)
def test_the_pack_speaks_the_chosen_language(app, admin_client, language, words):
    sign_confirmed(app, admin_client, "DE", 12)
    response = admin_client.get(f"/admin/delivery?language={language}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<div lang="{language}">' in html
    for word in words:
        assert word in html


def test_the_pack_states_the_paper_signatures_on_a_line_of_their_own(app, admin_client):
    sign_confirmed(app, admin_client, "DE", 2)
    enter_paper(admin_client, signatures="1200")
    html = admin_client.get("/admin/delivery?language=de").get_data(as_text=True)
    assert re.search(r"Auf Papier gesammelte Unterschriften</dt><dd>1.200<", html)
    assert re.search(r"Alle Unterschriften zusammen</dt><dd>1.202<", html)


def test_the_date_and_place_of_handing_over_are_printed(admin_client):
    query = "language=de&handed_on=2026-03-14&place=Bundestag%2C+Berlin"
    html = admin_client.get(f"/admin/delivery?{query}").get_data(as_text=True)
    assert "Übergeben am 14. März 2026. Ort: Bundestag, Berlin." in html
    english = admin_client.get("/admin/delivery?handed_on=2026-03-14").get_data(as_text=True)
    assert "Handed over on March 14, 2026." in english
    assert "Choose the date in the calendar" in english and 'type="date"' in english


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("handed_on=14.03.2026", "Enter a real date"),
        ("handed_on=2001-01-01", "not before 2009"),
        ("place=" + "p" * 121, "under 120 characters"),
        ("language=xx", "one of the site&#39;s languages"),
    ],
)
def test_bad_pack_choices_are_explained_and_the_pack_still_shows(admin_client, query, message):
    response = admin_client.get(f"/admin/delivery?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert "Confirmed online signatures" in html and "Handed over" not in html
