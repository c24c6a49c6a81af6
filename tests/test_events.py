"""Screenings: an admin creates an event, prints its poster with a QR code, the hall signs
through the short link (all of it behind one Wi-Fi address), and the event's signatures are
counted on the dashboard; deleting it ends the link but keeps the counts."""

import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
import segno
from PIL import Image
from support import (
    VALID_SIGNATURE,
    confirm_pending,
    csrf_token_from,
    form_stamp,
    hidden_fields,
    in_a_fresh_minute,
    log_in,
    stored_signatures,
)

CODE = re.compile(r"ev-[a-z0-9]{6}")
TODAY = datetime.now(UTC).date()
SCREENING = {
    "title": "Screening of Justice for Sergei and talk",
    "city": "Berlin",
    "starts_on": TODAY.isoformat(),
    "film": "justice",
    "language": "de",
}


def create_event(admin, **fields) -> tuple[int, str]:
    """Fill in the new-event form as an admin would; the event's id and code."""
    token = csrf_token_from(admin.get("/admin/events").get_data(as_text=True))
    response = admin.post(
        "/admin/events", data={**SCREENING, **fields, "csrf_token": token}, follow_redirects=True
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    code = re.search(r"its code is (ev-[a-z0-9]{6})", html).group(1)
    event_id = re.search(rf"<code>{code}</code>.*?/admin/events/(\d+)/poster", html, re.S).group(1)
    return int(event_id), code


def delete_event(admin, event_id: int):
    token = csrf_token_from(admin.get("/admin/events").get_data(as_text=True))
    return admin.post(f"/admin/events/{event_id}/delete", data={"csrf_token": token})


def sign_through(client, short_link: str, **fields):
    """Scan the QR code (follow the short link), then sign on the page it opens."""
    hop = client.get(short_link)
    assert hop.status_code == 302 and "Set-Cookie" not in hop.headers
    page = client.get(hop.headers["Location"])
    assert page.status_code == 200
    prefix = hop.headers["Location"].split("?")[0].rstrip("/")
    hidden = {**hidden_fields(page.get_data(as_text=True)), "started": form_stamp(client, prefix)}
    return client.post(f"{prefix}/sign", data={**VALID_SIGNATURE, **hidden, **fields})


def counts_on(admin, page: str, code: str) -> tuple[int, int]:
    """(signed, confirmed) in the event's row of the dashboard or the events page."""
    html = admin.get(page).get_data(as_text=True)
    row = re.search(rf"<tr>(?:(?!</tr>).)*<code>{code}</code>(?:(?!</tr>).)*</tr>", html, re.S)
    assert row, f"no row for {code} on {page}"
    signed, confirmed = re.findall(r'<td class="num">([\d,]+)</td>', row.group(0))
    return int(signed.replace(",", "")), int(confirmed.replace(",", ""))


def test_a_screening_from_poster_to_counted_signatures(app, admin_client):
    event_id, code = create_event(admin_client)
    assert counts_on(admin_client, "/admin/signatures", code) == (0, 0)

    hop = app.test_client().get(f"/e/{code}")
    assert hop.status_code == 302 and hop.headers["Location"] == f"/de/?source={code}"
    assert "Set-Cookie" not in hop.headers and hop.headers["Cache-Control"] == "no-store"
    page = app.test_client().get(hop.headers["Location"]).get_data(as_text=True)
    assert hidden_fields(page)["source"] == code and 'lang="de"' in page

    supporter = app.test_client()
    assert sign_through(supporter, f"/e/{code}", email="a@example.org").status_code == 303
    assert sign_through(supporter, f"/e/{code}", email="b@example.org").status_code == 303
    assert [s.source for s in stored_signatures(app)] == [code, code]
    assert counts_on(admin_client, "/admin/signatures", code) == (2, 0)
    assert counts_on(admin_client, "/admin/events", code) == (2, 0)

    assert confirm_pending(app, supporter) == 2
    assert counts_on(admin_client, "/admin/signatures", code) == (2, 2)
    assert counts_on(admin_client, "/admin/events", code) == (2, 2)
    signatures = admin_client.get("/admin/signatures").get_data(as_text=True)
    assert f"/admin/events/{event_id}/poster" in signatures and 'href="/admin/events"' in signatures


def test_each_event_gets_its_own_code(admin_client):
    codes = {create_event(admin_client, title=f"Screening {n}")[1] for n in range(5)}
    assert len(codes) == 5 and all(CODE.fullmatch(code) for code in codes)


def test_the_qr_codes_encode_the_short_link(admin_client):
    event_id, code = create_event(admin_client)
    short_link = f"http://localhost/e/{code}"
    qr = segno.make(short_link)

    svg = admin_client.get(f"/admin/events/{event_id}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert ET.fromstring(svg.get_data()).tag == "{http://www.w3.org/2000/svg}svg"
    expected = io.BytesIO()
    qr.save(expected, kind="svg", title=short_link)
    assert svg.get_data() == expected.getvalue()

    png = admin_client.get(f"/admin/events/{event_id}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.get_data().startswith(b"\x89PNG\r\n\x1a\n")
    width, height = Image.open(io.BytesIO(png.get_data())).size
    scale = width // qr.symbol_size()[0]
    assert width == height and scale >= 10  # sharp when printed large
    expected = io.BytesIO()
    qr.save(expected, kind="png", scale=scale)
    assert png.get_data() == expected.getvalue()


def test_the_poster_in_the_events_language(admin_client):
    event_id, code = create_event(admin_client, film="files", language="ru", city="Vilnius")
    poster = admin_client.get(f"/admin/events/{event_id}/poster")
    assert poster.status_code == 200 and poster.headers["Cache-Control"] == "no-store"
    html = poster.get_data(as_text=True)
    assert "Досье Магнитского" in html  # the film, in Russian
    assert "Подписать петицию" in html and "Сергей Магнитский раскрыл" in html
    assert f'<a href="http://localhost/e/{code}">localhost/e/{code}</a>' in html
    assert 'class="poster__qr"' in html and "<svg" in html
    assert "Screening of Justice for Sergei and talk" in html and "Vilnius" in html
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+poster[^"]*)"', html).group(1)
    css = admin_client.get(stylesheet)
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert "@page { size: A4" in css.get_data(as_text=True)


def test_a_deleted_event_keeps_its_counts_and_its_link_ends(app, admin_client):
    event_id, code = create_event(admin_client)
    assert sign_through(app.test_client(), f"/e/{code}").status_code == 303

    response = delete_event(admin_client, event_id)
    assert response.status_code == 303
    visitor = app.test_client()
    gone = visitor.get(f"/e/{code}")
    assert gone.status_code == 404 and "This event link does not work" in gone.get_data(
        as_text=True
    )
    assert "Set-Cookie" not in gone.headers
    german = visitor.get(f"/de/e/{code}")
    assert german.status_code == 404
    assert "Link zu einer Veranstaltung funktioniert nicht" in german.get_data(as_text=True)
    for page in ("poster", "qr.svg", "qr.png"):
        answer = admin_client.get(f"/admin/events/{event_id}/{page}")
        assert answer.status_code == 410
        assert "This event was deleted" in answer.get_data(as_text=True)
    assert counts_on(admin_client, "/admin/signatures", code) == (1, 0)
    assert counts_on(admin_client, "/admin/events", code) == (1, 0)
    assert delete_event(admin_client, event_id).status_code == 404  # nothing more to delete


@pytest.mark.parametrize(
    "forged",
    ["ev-zzzzzz", "EV-ABC123", "ev-", "x" * 65, "<script>alert(1)</script>", "a b", "ev-ä"],
)
def test_a_forged_or_malformed_code_gets_a_polite_404(app, admin_client, forged):
    create_event(admin_client)
    response = app.test_client().get("/ru/e/" + forged)
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and "Эта ссылка на мероприятие не работает" in html
    assert "<script>alert" not in html and "Set-Cookie" not in response.headers


def admin_of(app, credentials):
    """A browser of this app, logged in as the admin."""
    admin = app.test_client()
    assert log_in(admin, *credentials).status_code == 303
    return admin


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("title", "", "Please enter the event&#39;s title."),
        ("title", "   ", "Please enter the event&#39;s title."),
        ("city", "", "Please enter the city."),
        ("title", "x" * 201, "Keep the title under 200 characters."),
        ("city", "x" * 101, "Keep the city under 100 characters."),
        ("starts_on", "", "Please choose the event&#39;s date."),
        ("starts_at", "25:99", "Enter a real time"),
        ("starts_at", "half past seven", "Enter a real time"),
        ("venue", "v" * 201, "Keep the venue under 200 characters."),
        ("starts_on", "2026-13-45", "Enter a real date"),
        ("starts_on", "next Friday", "Enter a real date"),
        ("film", "trailer", "Choose one of the two films."),
        ("film", "", "Choose one of the two films."),
        ("language", "es", "Choose one of the site&#39;s languages."),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(admin_client, field, value, error):
    token = csrf_token_from(admin_client.get("/admin/events").get_data(as_text=True))
    response = admin_client.post(
        "/admin/events", data={**SCREENING, field: value, "csrf_token": token}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and error in html
    assert "No events yet." in html and not CODE.search(html)


def test_forms_without_the_csrf_token_change_nothing(admin_client):
    refused = admin_client.post("/admin/events", data=SCREENING)
    assert refused.status_code == 400
    assert "No events yet." in admin_client.get("/admin/events").get_data(as_text=True)
    event_id, code = create_event(admin_client)
    assert admin_client.post(f"/admin/events/{event_id}/delete").status_code == 400
    assert admin_client.get(f"/e/{code}").status_code == 302


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/admin/events"),
        ("post", "/admin/events"),
        ("get", "/admin/events/{id}/poster"),
        ("get", "/admin/events/{id}/qr.svg"),
        ("get", "/admin/events/{id}/qr.png"),
        ("get", "/admin/events/poster.css"),
        ("post", "/admin/events/{id}/delete"),
    ],
)
def test_every_events_page_needs_an_admin(app, admin_credentials, method, path):
    event_id, code = create_event(admin_of(app, admin_credentials))
    stranger = app.test_client()
    response = getattr(stranger, method)(path.format(id=event_id), data=SCREENING)
    # A stranger's POST has no CSRF token either: refused before or at the login check.
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/admin/login")
    assert stranger.get(f"/e/{code}").status_code == 302  # still there
    assert b"Screening" not in response.get_data()


# The full hall: one Wi-Fi address, the production limits (SIGN_RATE_LIMIT 60 a minute,
# EVENT_SIGN_RATE_LIMIT 600, SIGN_REVIEW_THRESHOLD 20 per 10 minutes), counted in memory.
HALL = 150


def limited_app(app_factory):
    return app_factory(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")


def sign_from_one_address(app, source: str | None, people: int) -> list[int]:
    """people sign one after another from one address (the test client's); their statuses."""
    client = app.test_client()
    link = f"/?source={source}" if source else "/"
    hidden = {
        **hidden_fields(client.get(link).get_data(as_text=True)),
        "started": form_stamp(client),
    }
    return [
        client.post(
            "/sign", data={**VALID_SIGNATURE, **hidden, "email": f"viewer{n}@example.org"}
        ).status_code
        for n in range(people)
    ]


@pytest.mark.slow  # 150 signatures, and may wait for a fresh rate-limit minute
def test_a_full_hall_signing_through_the_events_link_is_all_stored(app_factory, admin_credentials):
    app = limited_app(app_factory)
    _, code = create_event(admin_of(app, admin_credentials))
    in_a_fresh_minute()
    statuses = sign_from_one_address(app, code, HALL)
    assert statuses == [303] * HALL
    stored = stored_signatures(app)
    assert len(stored) == HALL and {s.source for s in stored} == {code}
    busy = ["busy_address" in (s.review_marks or "") for s in stored]
    assert busy == [False] * 20 + [True] * (HALL - 20)  # kept for organisers to look again


@pytest.mark.slow  # 150 signatures, and may wait for a fresh rate-limit minute
def test_without_the_code_the_same_hall_meets_the_usual_ceiling(app_factory):
    app = limited_app(app_factory)
    in_a_fresh_minute()
    statuses = sign_from_one_address(app, None, HALL)
    assert statuses == [303] * 60 + [429] * (HALL - 60)
    assert len(stored_signatures(app)) == 60


@pytest.mark.parametrize(
    "event",
    [
        {"starts_on": (TODAY - timedelta(days=2)).isoformat()},
        {"starts_on": (TODAY + timedelta(days=2)).isoformat()},
        {"deleted": True},
    ],
    ids=["two days ago", "in two days", "deleted"],
)
def test_only_an_event_on_now_lifts_the_ceiling(app_factory, admin_credentials, event):
    # A ceiling of five a minute shows the same as the production one of sixty, sooner.
    app = app_factory(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", SIGN_RATE_LIMIT="5 per minute"
    )
    admin = admin_of(app, admin_credentials)
    fields = {key: value for key, value in event.items() if key != "deleted"}
    event_id, code = create_event(admin, **fields)
    if event.get("deleted"):
        assert delete_event(admin, event_id).status_code == 303
    in_a_fresh_minute(seconds_needed=2)
    statuses = sign_from_one_address(app, code, 7)
    assert statuses == [303] * 5 + [429, 429]


def test_an_event_with_its_time_and_venue(admin_client):
    event_id, _ = create_event(
        admin_client, starts_at="19:30", venue="Kino Babylon, Rosa-Luxemburg-Str. 30"
    )
    listing = admin_client.get("/admin/events").get_data(as_text=True)
    assert f"{TODAY.isoformat()} 19:30" in listing and "Kino Babylon, Rosa-Luxemburg" in listing
    poster = admin_client.get(f"/admin/events/{event_id}/poster").get_data(as_text=True)
    assert "um 19:30 Uhr" in poster and "Kino Babylon, Rosa-Luxemburg-Str. 30" in poster


def test_time_and_venue_may_be_left_out(admin_client):
    event_id, _ = create_event(admin_client, starts_at="", venue="")
    poster = admin_client.get(f"/admin/events/{event_id}/poster").get_data(as_text=True)
    assert " um " not in poster


def test_the_date_hint_speaks_of_the_calendar_the_box_shows(admin_client):
    html = admin_client.get("/admin/events").get_data(as_text=True)
    assert 'type="date"' in html and 'type="time"' in html
    hint = re.search(r'<p class="field__hint" id="starts_on-hint">([^<]*)</p>', html).group(1)
    assert hint.startswith("Choose the date") and "year-month-day" not in hint.lower()


ENGLISH_ON_A_POSTER = (
    "Sign",
    "petition",
    "Campaign",
    "Justice",
    "Files",
    "exposed",
    "custody",
    "fraud",
    " at ",
)


def test_a_german_poster_is_german_throughout(admin_client):
    event_id, code = create_event(
        admin_client, title="Filmabend mit Gespräch", city="München", starts_at="20:00"
    )
    html = admin_client.get(f"/admin/events/{event_id}/poster").get_data(as_text=True)
    poster = html[html.index('<article class="poster"') : html.index("</article>")]
    assert 'lang="de"' in poster
    assert "Gerechtigkeit für Sergei" in poster and "Petition unterschreiben" in poster
    assert "Globale Kampagne für Gerechtigkeit" in poster and "um 20:00 Uhr" in poster
    words = re.sub(r"<[^>]+>", " ", poster.replace(f"localhost/e/{code}", ""))
    assert [word for word in ENGLISH_ON_A_POSTER if word in words] == []
