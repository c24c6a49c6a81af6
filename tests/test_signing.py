"""A supporter signs the petition; bad input is refused politely and nothing is stored."""

import re
import threading
import uuid

import pytest
from support import (
    VALID_SIGNATURE,
    blind_index_of,
    form_fields,
    hidden_fields,
    sign,
    sign_and_confirm,
    stored_signatures,
)

from campaign_site.extensions import db
from campaign_site.mail import outbox


def test_supporter_signs_and_is_thanked(app, client):
    response = sign(client, name="Ada Lovelace", email="Ada@Example.ORG", keep_informed="y")

    assert response.status_code == 303
    assert response.headers["Location"] == "/thank-you"
    [signature] = stored_signatures(app)
    assert (signature.given_name, signature.family_name) == ("Ada", "Lovelace")
    assert signature.name == "Ada Lovelace"
    assert signature.email == "Ada@example.org"  # domain lower-cased by email-validator
    assert signature.mailbox_index == blind_index_of(app, "ada@example.org")
    assert signature.country == "GB"
    assert signature.postcode_city == "London"
    assert signature.keep_informed is True
    assert signature.show_name is False
    assert signature.signed_at.tzinfo is not None
    assert signature.status == "pending"


def test_consent_boxes_are_unticked_unless_the_supporter_ticks_them(app, client):
    html = client.get("/").get_data(as_text=True)
    assert 'name="keep_informed" type="checkbox" value="y">' in html
    assert "checked" not in html
    sign(client)
    [signature] = stored_signatures(app)
    assert (signature.keep_informed, signature.show_name) == (False, False)


def test_postcode_is_optional(app, client):
    assert sign(client, postcode_city="").status_code == 303
    assert stored_signatures(app)[0].postcode_city is None


@pytest.mark.parametrize("family_name", ["", "   ", None])
def test_family_name_is_optional(app, client, family_name):
    """Not everyone has a family name: a given name alone is a whole signature."""
    assert sign(client, given_name="Suharto", family_name=family_name).status_code == 303
    [signature] = stored_signatures(app)
    assert (signature.given_name, signature.family_name, signature.name) == (
        "Suharto",
        "",
        "Suharto",
    )


def test_the_form_asks_for_a_given_name_and_an_optional_family_name(client):
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'<label[^>]*for="given_name"[^>]*>Given name</label>', html)
    assert re.search(
        r'<label[^>]*for="family_name"[^>]*>Family name \(if you have one\)</label>', html
    )
    assert re.search(r'<input[^>]*id="given_name"[^>]*required', html)
    assert not re.search(r'<input[^>]*id="family_name"[^>]*required', html)
    assert 'id="name"' not in html


def test_thank_you_page_offers_plain_share_links_and_no_third_party_scripts(app_factory):
    client = app_factory(CONFIRMATION_REQUIRED=False).test_client()  # else sharing waits
    html = client.get(sign(client).headers["Location"]).get_data(as_text=True)
    assert "Thank you" in html
    for network in [
        "mailto:?subject=",
        "https://wa.me/",
        "https://t.me/share/url",
        "https://www.facebook.com/sharer",
    ]:
        assert network in html
    assert "http%3A%2F%2Flocalhost%2F" in html  # the campaign page's absolute address
    # Only our own script file, and no script from another host.
    assert re.findall(r"<script[^>]*>", html) == [
        m
        for m in re.findall(r"<script[^>]*>", html)
        if re.search(r'src="/static/js/site\.[0-9a-f]{10}\.js"', m)
    ]


@pytest.mark.parametrize(
    "second_address", ["ada@example.org", "ADA@EXAMPLE.ORG", " Ada@example.org "]
)
def test_signing_twice_changes_nothing_and_looks_exactly_like_a_first_signature(
    app, client, second_address
):
    first = sign(client, email="ada@example.org", name="Ada Lovelace")
    first_page = client.get(first.headers["Location"]).get_data()

    second = sign(client, email=second_address, name="Someone Else", country="FR")
    second_page = client.get(second.headers["Location"]).get_data()

    assert (second.status_code, second.headers["Location"]) == (
        first.status_code,
        first.headers["Location"],
    )
    assert second.get_data() == first.get_data()
    assert second_page == first_page
    [signature] = stored_signatures(app)
    assert (signature.given_name, signature.family_name, signature.country) == (
        "Ada",
        "Lovelace",
        "GB",
    )


def test_a_repeat_does_the_same_database_work_as_a_first_signature(app, client):
    """Timing must not tell a repeat from a first: each writes one row with each of its two
    statements' worth of work and flushes it (benchmarks/repeat_timing.py measures the time)."""
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
    statements: list[tuple[str, int]] = []
    sqlite_changes: list[int] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        verb = statement.split()[0]
        if verb in {"INSERT", "UPDATE", "DELETE"}:
            statements.append((verb, cursor.rowcount))  # psycopg knows it at once

    def begin(conn):
        conn.info["changes_at_begin"] = getattr(
            conn.connection.dbapi_connection, "total_changes", 0
        )

    def commit(conn):
        now = getattr(conn.connection.dbapi_connection, "total_changes", 0)
        sqlite_changes.append(now - conn.info["changes_at_begin"])

    def rows_written() -> int:
        """sqlite3 counts rows changed per connection; psycopg gives each statement's rowcount."""
        if engine.dialect.name == "sqlite":
            written = sum(sqlite_changes)
            sqlite_changes.clear()
            return written
        return sum(rowcount for _, rowcount in statements)

    listeners = [("after_cursor_execute", record), ("begin", begin), ("commit", commit)]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        sign(client, email="first@example.org")
        first = ([verb for verb, _ in statements], rows_written())
        statements.clear()
        sign(client, email="first@example.org")
        repeat = ([verb for verb, _ in statements], rows_written())
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)
    # The row, its email and its hour's tally; a repeat writes its row and the tally too.
    assert first == (["INSERT", "INSERT", "INSERT"], 3)
    assert repeat == (["INSERT", "UPDATE", "INSERT"], 2)  # though no email is due


def test_same_address_submitted_at_once_is_stored_exactly_once(app):
    """The unique constraint, not a check before insert, decides a race."""
    clients = [app.test_client() for _ in range(8)]
    forms = [hidden_fields(c.get("/").get_data(as_text=True)) for c in clients]
    start = threading.Barrier(len(clients))
    statuses = []

    def submit(c, hidden):
        start.wait()
        response = c.post("/sign", data={**VALID_SIGNATURE, **hidden})
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=submit, args=pair) for pair in zip(clients, forms, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [303] * len(clients)
    assert len(stored_signatures(app)) == 1
    with app.app_context():
        assert outbox.pending_messages() == 1  # one confirmation email, no repeats


LONG = "x" * 101


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"given_name": ""}, "given_name", "Please enter your given name."),
        ({"given_name": "   "}, "given_name", "Please enter your given name."),
        ({"given_name": None}, "given_name", "Please enter your given name."),
        (
            {"given_name": "", "family_name": "Lovelace"},
            "given_name",
            "Please enter your given name.",
        ),
        ({"given_name": LONG}, "given_name", "Please keep this to 100 characters or fewer."),
        ({"family_name": LONG}, "family_name", "Please keep this to 100 characters or fewer."),
        ({"given_name": "1234"}, "given_name", "Please enter your name in letters."),
        ({"family_name": "1234"}, "family_name", "Please enter your name in letters."),
        ({"email": ""}, "email", "Please enter your email address."),
        ({"email": "not-an-address"}, "email", "Please check your email address"),
        ({"email": "ada@"}, "email", "Please check your email address"),
        ({"email": "ada@example"}, "email", "Please check your email address"),
        ({"email": "ada lovelace@example.org"}, "email", "Please check your email address"),
        (
            {"email": "a" * 250 + "@example.org"},
            "email",
            "An email address has at most 254 characters.",
        ),
        ({"country": ""}, "country", "Please choose your country."),
        ({"country": None}, "country", "Please choose your country."),
        ({"country": "XX"}, "country", "Please choose your country from the list."),
        ({"country": "gb"}, "country", "Please choose your country from the list."),
        (
            {"postcode_city": "y" * 101},
            "postcode_city",
            "Please keep this to 100 characters or fewer.",
        ),
    ],
)
def test_bad_input_gets_a_clear_error_beside_the_field_and_nothing_is_stored(
    app, client, fields, field_id, message
):
    response = sign(client, **fields)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<title>Error: " in html
    assert 'id="error-summary" tabindex="-1" autofocus' in html
    assert f'<a href="#{field_id}">{message}' in html
    assert f'<p class="field__error" id="{field_id}-error">' in html
    assert (
        f'aria-describedby="{field_id}-error"' in html
        or f"{field_id}-hint {field_id}-error" in html
    )
    assert stored_signatures(app) == []


def test_form_keeps_what_the_supporter_typed_after_an_error(client):
    html = sign(
        client,
        given_name="Анна",
        family_name="<b>Иванова</b>",
        email="broken@",
        country="UA",
        postcode_city="Київ",
    ).get_data(as_text=True)
    assert 'value="Анна"' in html
    assert 'value="&lt;b&gt;Иванова&lt;/b&gt;"' in html
    assert 'value="broken@"' in html
    assert '<option value="UA" selected>' in html
    assert 'value="Київ"' in html


def test_the_form_needs_no_token_and_no_cookie(app):
    """What a browser with every cookie blocked sends from our own page is stored."""
    client = app.test_client(use_cookies=False)
    page = client.get("/")
    assert "Set-Cookie" not in page.headers and 'name="csrf_token"' not in page.text
    response = client.post(
        "/sign",
        data={**VALID_SIGNATURE, **form_fields(client)},
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
    )
    assert response.status_code == 303 and "Set-Cookie" not in response.headers
    [signature] = stored_signatures(app)
    assert signature.review_marks == ""


def test_text_is_tidied_before_it_is_stored(app, client):
    sign(
        client,
        given_name="  Zoë\u202e  \tAnn\x00 ",
        family_name="\tO\u2019Brien-\u2066Smith\x00 ",
        postcode_city=" 10115\n Berlin ",
    )
    [signature] = stored_signatures(app)
    assert signature.given_name == "Zoë Ann"
    assert signature.family_name == "O\u2019Brien-Smith"
    assert signature.postcode_city == "10115 Berlin"


def test_recent_signers_show_only_consenting_given_names_and_countries(app, client):
    sign_and_confirm(
        app,
        client,
        given_name="Hidden",
        family_name="Person",
        email="hidden@example.org",
        country="RU",
    )
    sign_and_confirm(
        app,
        client,
        given_name="Olena",
        family_name="Kovalenko",
        email="olena@example.org",
        country="UA",
        show_name="y",
    )
    sign(
        client,
        given_name="Pending",
        family_name="Person",
        email="pending@example.org",
        show_name="y",
    )
    html = client.get("/").get_data(as_text=True)

    assert '<span class="recent__name">Olena</span>, Ukraine' in html
    assert "Kovalenko" not in html
    assert "Hidden" not in html
    assert "Pending" not in html  # listed only once confirmed
    assert "olena@example.org" not in html


def test_recent_signers_lists_the_latest_ten(app, client):
    names = [f"Signer{letter}" for letter in "ABCDEFGHIJKL"]  # letters: digits are never shown
    for n, name in enumerate(names):
        sign_and_confirm(
            app, client, name=f"{name} Surname", email=f"s{n}@example.org", show_name="y"
        )
    html = client.get("/").get_data(as_text=True)
    shown = [name for name in names if f">{name}<" in html]
    assert shown == names[2:]


def test_an_unexpected_failure_shows_a_calm_page_and_stores_nothing(app, client, monkeypatch):
    from campaign_site.petition import signing

    def broken(_new):
        raise RuntimeError("database exploded")

    monkeypatch.setattr(signing, "record_signature", broken)
    response = sign(client)

    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong on our side" in html
    assert "database exploded" not in html and "Traceback" not in html
    assert stored_signatures(app) == []


def test_an_oversized_submission_is_refused(app, client):
    hidden = form_fields(client)
    response = client.post("/sign", data={**VALID_SIGNATURE, **hidden, "given_name": "x" * 100_000})
    assert response.status_code == 413
    assert "Too much data" in response.get_data(as_text=True)
    assert stored_signatures(app) == []


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True, scope="session")
def test_a_signature_after_the_database_dropped_idle_connections_is_stored(
    app_factory, postgres_server, monkeypatch
):
    """A restarted server (or PgBouncer) leaves the pool's connections dead. One that sat
    idle is pinged and replaced before the signature uses it, so nobody sees an error."""
    from campaign_site import database

    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    name = f"idle-ping-{uuid.uuid4().hex[:8]}"  # only this app's connections are dropped
    app = app_factory(SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"application_name": name}})
    client = app.test_client()
    assert sign(client, email="before@example.org").status_code == 303
    with postgres_server._admin_connection() as admin:
        dropped = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = %s",
            (name,),
        ).fetchone()[0]
    assert dropped >= 1

    assert sign(client, email="after@example.org").status_code == 303
    assert {s.email for s in stored_signatures(app)} == {"before@example.org", "after@example.org"}
