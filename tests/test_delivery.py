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


def test_the_delivery_pack_has_the_petition_totals_and_no_personal_data(app, admin_client):
    sign_confirmed(app, admin_client, "DE", 12, show_name=True)
    sign_confirmed(app, admin_client, "RU", 1, show_name=True, start=50)
    enter_paper(admin_client, signatures="7")
    response = admin_client.get("/admin/delivery")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "The Test Assembly (a test value)" in html  # the addressee, from the content file
    assert "held to account before an independent court" in html
    assert re.search(r"Confirmed online signatures</dt><dd>13<", html)
    assert "Germany" in html and "Russia" not in html and "Other countries" in html
    assert "Signatures collected on paper" in html and ">7<" in html
    assert "@example.org" not in html.replace("admin@example.org", "") and "Signerade" not in html

    named = admin_client.get("/admin/delivery?names=yes").get_data(as_text=True)
    assert "Signerade" in named and "Signeryru" in named
    assert "Family" not in named  # given names only


def test_the_delivery_pack_needs_a_login(client):
    assert client.get("/admin/delivery").status_code == 302
