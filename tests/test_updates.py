"""Campaign updates, through the admin pages, the emailed links and the mail worker with a
real SMTP server on loopback: who receives one, in which language, with which headers,
and what unsubscribing, withdrawing, cancelling and clicking twice do while it is sent."""

import re
import threading
import time

import pytest
from sqlalchemy import event, func, select, text, update
from support import (
    VALID_SIGNATURE,
    blind_index_of,
    confirm_pending,
    csrf_token_from,
    form_fields,
    hidden_fields,
    log_in,
    run_worker,
)

from campaign_site.extensions import db
from campaign_site.models import (
    AdminAudit,
    CampaignUpdate,
    MailPace,
    OutboxMessage,
    Signature,
)
from campaign_site.petition import link_tokens

ADMIN, PASSWORD = "organiser@example.org", "correct horse battery staple"
TEXTS = {
    "subject_en": "The Magnitsky Files at a screening near you",
    "body_en": "Dear supporters,\n\nThank you. Read more: https://example.org/news.\n\nThe campaign",
    "subject_de": "Neuigkeiten der Kampagne",
    "body_de": "Liebe Unterstützerinnen und Unterstützer,\n\nvielen Dank.",
}


@pytest.fixture
def site(app_factory, mail_server):
    """The app with the worker on the loopback SMTP server, and an organiser logged in."""
    app = app_factory(**mail_server.settings())
    result = app.test_cli_runner().invoke(
        args=["create-admin", ADMIN, "--role=organiser"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    admin = app.test_client()
    assert log_in(admin, ADMIN, PASSWORD).status_code == 303
    return app, admin


def supporter(app, email: str, language: str = "en", informed: bool = True, confirm: bool = True):
    """Sign through the form in a language, and open the confirmation link if asked."""
    client = app.test_client()
    prefix = "" if language == "en" else f"/{language}"
    form = {**VALID_SIGNATURE, **form_fields(client, prefix), "email": email}
    if informed:
        form["keep_informed"] = "y"
    response = client.post(f"{prefix}/sign", data=form)
    assert response.status_code in (200, 303), response.status_code
    if confirm:
        confirm_pending(app, client)


def token_of(app, email: str, purpose: str) -> str:
    with app.app_context():
        signature = db.session.scalar(
            select(Signature).where(Signature.mailbox_index == blind_index_of(app, email))
        )
        return link_tokens.make_token(signature, purpose)


def write_update(admin, **overrides) -> tuple[int, str]:
    """Compose through the form; returns the update's id and its page."""
    token = csrf_token_from(admin.get("/admin/updates/new").get_data(as_text=True))
    response = admin.post("/admin/updates/new", data={**TEXTS, **overrides, "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    update_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return update_id, admin.get(f"/admin/updates/{update_id}").get_data(as_text=True)


def send_form_of(page: str) -> dict[str, str]:
    match = re.search(
        r'<form method="post" action="/admin/updates/\d+/send">(.*?)</form>', page, re.S
    )
    assert match, "no send form on the page"
    return hidden_fields(match.group(1))


def confirm_page(admin, update_id: int, page: str) -> str:
    """The confirming step, opened from the update's page with the count it showed."""
    match = re.search(
        r'<form method="get" action="/admin/updates/\d+/confirm">(.*?)</form>', page, re.S
    )
    assert match, "no way to the confirming step on the page"
    response = admin.get(
        f"/admin/updates/{update_id}/confirm", query_string=hidden_fields(match.group(1))
    )
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def send(admin, update_id: int, page: str):
    """Confirm the count the page showed, then press Send on the confirming step."""
    confirming = confirm_page(admin, update_id, page)
    return admin.post(f"/admin/updates/{update_id}/send", data=send_form_of(confirming))


def flashed(admin, update_id: int) -> str:
    return admin.get(f"/admin/updates/{update_id}").get_data(as_text=True)


def received(mail_server) -> dict[str, list]:
    """Address -> the update messages it received (confirmation mails left out)."""
    by_address: dict[str, list] = {}
    for message, recipients in zip(
        mail_server.inbox.messages, mail_server.inbox.recipients, strict=True
    ):
        if message["Precedence"] == "bulk":
            for address in recipients:
                by_address.setdefault(address, []).append(message)
    return by_address


def slow_pace(app, per_minute: int = 60) -> None:
    """MAIL_RATE_PER_MINUTE low enough that one pass sends only part of an update."""
    app.config["MAIL_RATE_PER_MINUTE"] = per_minute


def refill(app) -> None:
    """As if a minute had passed for the pace."""
    with app.app_context():
        db.session.execute(update(MailPace).values(tokens=1000.0))
        db.session.commit()


def queued_rows(app, email: str | None = None) -> int:
    with app.app_context():
        query = (
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.update_id.is_not(None), OutboxMessage.sent_at.is_(None))
        )
        if email:
            query = query.join(Signature).where(
                Signature.mailbox_index == blind_index_of(app, email)
            )
        return db.session.scalar(query)


def test_an_update_reaches_exactly_the_confirmed_supporters_who_asked_in_their_language(
    site, mail_server
):
    app, admin = site
    supporter(app, "en@example.org")
    supporter(app, "de@example.org", language="de")
    supporter(app, "ru@example.org", language="ru")
    supporter(app, "quiet@example.org", informed=False)
    supporter(app, "left@example.org")
    app.test_client().post(
        f"/unsubscribe/{token_of(app, 'left@example.org', link_tokens.UNSUBSCRIBE)}"
    )
    app.config["CONFIRMATION_REQUIRED"] = False  # counted at once: the mailbox is not proven
    supporter(app, "unproven@example.org", confirm=False)
    app.config["CONFIRMATION_REQUIRED"] = True
    supporter(app, "pending@example.org", confirm=False)  # last: supporter() confirms all
    run_worker(app)  # the confirmation mails
    mail_server.inbox.messages.clear(), mail_server.inbox.recipients.clear()

    update_id, page = write_update(admin)
    assert "Send to 3 supporters" in confirm_page(admin, update_id, page)
    assert "gets the English text" in page  # the other languages fall back
    assert "Neuigkeiten der Kampagne" in page
    assert send(admin, update_id, page).status_code == 303
    run_worker(app)

    got = received(mail_server)
    assert set(got) == {"en@example.org", "de@example.org", "ru@example.org"}
    assert all(len(messages) == 1 for messages in got.values())
    assert got["de@example.org"][0]["Subject"] == "Neuigkeiten der Kampagne"
    assert got["en@example.org"][0]["Subject"] == TEXTS["subject_en"]
    assert got["ru@example.org"][0]["Subject"] == TEXTS["subject_en"]
    german = got["de@example.org"][0]
    assert german["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(
        r"<https?://[^/]+(/de/unsubscribe/[^>]+)>", german["List-Unsubscribe"]
    )
    assert unsubscribe, german["List-Unsubscribe"]
    html = german.get_body(preferencelist=("html",)).get_content()
    assert 'lang="de"' in html and "Wie wir mit Ihren Daten umgehen" in html
    english_html = got["en@example.org"][0].get_body(preferencelist=("html",)).get_content()
    assert '<a href="https://example.org/news">https://example.org/news</a>.' in english_html

    # The one-click unsubscribe works from the header alone (RFC 8058: a POST, no page).
    response = app.test_client().post(unsubscribe.group(1), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with app.app_context():
        unsubscribed = select(Signature.keep_informed).where(
            Signature.mailbox_index == blind_index_of(app, "de@example.org")
        )
        assert db.session.scalar(unsubscribed) is False
        finished = db.session.get(CampaignUpdate, update_id)
        assert (finished.status, finished.recipients, finished.sent_count) == ("sent", 3, 3)
        # Once sent, nothing says who got it: the update's outbox rows are gone.
        rows = select(func.count()).where(OutboxMessage.update_id == update_id)
        assert db.session.scalar(rows) == 0


def test_clicking_send_twice_or_in_a_second_tab_sends_once(site, mail_server):
    app, admin = site
    for n in range(3):
        supporter(app, f"s{n}@example.org")
    run_worker(app)
    update_id, page = write_update(admin)
    first_tab = send_form_of(confirm_page(admin, update_id, page))
    second_tab = send_form_of(confirm_page(admin, update_id, page))
    assert admin.post(f"/admin/updates/{update_id}/send", data=first_tab).status_code == 303
    assert admin.post(f"/admin/updates/{update_id}/send", data=first_tab).status_code == 303
    assert admin.post(f"/admin/updates/{update_id}/send", data=second_tab).status_code == 303
    assert "already sent" in flashed(admin, update_id)
    assert queued_rows(app) == 3
    run_worker(app)
    got = received(mail_server)
    assert sorted(len(messages) for messages in got.values()) == [1, 1, 1]
    with app.app_context():
        actions = db.session.scalars(
            select(AdminAudit.detail).where(AdminAudit.action == "update sent")
        ).all()
    assert actions == [f"update {update_id}: queued for 3 supporters"]


def five_of_eight_sent(app, admin, mail_server, prefix: str) -> tuple[int, str, list[str]]:
    """Eight supporters, an update sent to them at 60 a minute, one worker pass: the pace's
    bucket (five seconds' worth) lets five go. Returns the update's id, the confirming step
    it was sent from and the three addresses still waiting."""
    addresses = [f"{prefix}{n}@example.org" for n in range(8)]
    for address in addresses:
        supporter(app, address)
    run_worker(app)
    slow_pace(app, 60)
    update_id, page = write_update(admin)
    confirming = confirm_page(admin, update_id, page)
    admin.post(f"/admin/updates/{update_id}/send", data=send_form_of(confirming))
    run_worker(app)
    waiting = sorted(set(addresses) - set(received(mail_server)))
    assert len(waiting) == 3 and queued_rows(app) == 3
    return update_id, confirming, waiting


def test_the_pace_holds_updates_back_but_never_a_confirmation_link(site, mail_server):
    app, admin = site
    five_of_eight_sent(app, admin, mail_server, "p")

    supporter(app, "newcomer@example.org", confirm=False)
    before = len(mail_server.inbox.messages)
    run_worker(app)
    new = mail_server.inbox.messages[before:]
    assert [m["To"] for m in new] == ["newcomer@example.org"]  # the link went, no update did
    assert queued_rows(app) == 3


def test_unsubscribing_or_withdrawing_mid_send_stops_what_is_queued_for_them(site, mail_server):
    app, admin = site
    update_id, _, waiting = five_of_eight_sent(app, admin, mail_server, "m")
    quitter, leaver = waiting[0], waiting[1]

    app.test_client().post(f"/unsubscribe/{token_of(app, quitter, link_tokens.UNSUBSCRIBE)}")
    app.test_client().post(f"/withdraw/{token_of(app, leaver, link_tokens.WITHDRAW)}")
    assert queued_rows(app, quitter) == 0
    with app.app_context():  # nothing of the erased supporter is left in the queue
        assert db.session.scalar(
            select(func.count()).select_from(OutboxMessage)
        ) == db.session.scalar(select(func.count()).select_from(OutboxMessage).join(Signature))
    refill(app)
    run_worker(app)

    got = received(mail_server)
    assert quitter not in got and leaver not in got and waiting[2] in got
    figures = progress_row(flashed(admin, update_id))
    assert [figures[name] for name in ("Sent", "Unsubscribed meanwhile", "Withdrew meanwhile")] == [
        "6",
        "1",
        "1",
    ]
    with app.app_context():
        done = db.session.get(CampaignUpdate, update_id)
        assert (done.status, done.sent_count, done.unsubscribed_count) == ("sent", 6, 1)


def signature_id_of(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Signature.id).where(Signature.mailbox_index == blind_index_of(app, email))
        )


def progress_row(page: str) -> dict[str, str]:
    """The update page's figures, by column heading."""
    head = re.search(r"<thead><tr>(.*?)</tr></thead>", page, re.S).group(1)
    cells = re.search(r"<tbody><tr>(.*?)</tr></tbody>", page, re.S).group(1)
    return dict(
        zip(
            re.findall(r"<th[^>]*>([^<]+)</th>", head),
            re.findall(r"<td[^>]*>([^<]+)</td>", cells),
            strict=True,
        )
    )


def test_invalidating_a_signer_mid_send_is_counted_as_such_not_as_a_withdrawal(site, mail_server):
    app, admin = site
    update_id, _, waiting = five_of_eight_sent(app, admin, mail_server, "f")
    fraud = waiting[0]
    with app.app_context():  # the review queue lists marked signatures
        db.session.execute(
            update(Signature)
            .where(Signature.id == signature_id_of(app, fraud))
            .values(review_marks="busy_address")
        )
        db.session.commit()
    token = csrf_token_from(admin.get("/admin/review").get_data(as_text=True))
    admin.post(
        "/admin/review",
        data={
            "csrf_token": token,
            "ids": [signature_id_of(app, fraud)],
            "decision": "invalidate",
            "reason": "a script",
        },
    )
    assert queued_rows(app, fraud) == 0
    figures = progress_row(flashed(admin, update_id))
    assert (figures["Queued"], figures["Invalidated meanwhile"]) == ("2", "1")
    assert figures["Withdrew meanwhile"] == "0"
    refill(app)
    run_worker(app)

    assert fraud not in received(mail_server)
    figures = progress_row(flashed(admin, update_id))
    assert (figures["Sent"], figures["Invalidated meanwhile"], figures["Withdrew meanwhile"]) == (
        "7",
        "1",
        "0",
    )


def test_a_message_whose_signer_is_found_invalidated_at_sending_is_counted_so(site, mail_server):
    """Invalidation drops queued messages itself; one already claimed by a worker is caught
    by the check just before sending (its status set here as if in that instant)."""
    app, admin = site
    supporter(app, "g0@example.org")
    run_worker(app)
    update_id, page = write_update(admin)
    send(admin, update_id, page)
    with app.app_context():
        db.session.execute(
            update(Signature)
            .where(Signature.id == signature_id_of(app, "g0@example.org"))
            .values(invalidated_from=Signature.status, status="invalidated")
        )
        db.session.commit()
    run_worker(app)

    assert "g0@example.org" not in received(mail_server)
    figures = progress_row(flashed(admin, update_id))
    assert (
        figures["Sent"],
        figures["Invalidated meanwhile"],
        figures["Unsubscribed meanwhile"],
    ) == (
        "0",
        "1",
        "0",
    )


def test_cancel_drops_what_is_queued_and_a_cancelled_update_cannot_resume(site, mail_server):
    app, admin = site
    update_id, confirming, _ = five_of_eight_sent(app, admin, mail_server, "c")
    dashboard = admin.get("/admin/").get_data(as_text=True)
    assert f'href="/admin/updates/{update_id}"' in dashboard  # being sent: the overview links it
    dashboard = admin.get("/admin/updates").get_data(as_text=True)
    assert f"Cancel update {update_id} (its 3 queued messages)" in dashboard
    token = csrf_token_from(dashboard)
    assert (
        admin.post(f"/admin/updates/{update_id}/cancel", data={"csrf_token": token}).status_code
        == 303
    )
    assert "3 messages still queued will not be sent" in flashed(admin, update_id)

    once_more = send_form_of(confirming)  # the confirming step's form, pressed once more
    assert admin.post(f"/admin/updates/{update_id}/send", data=once_more).status_code == 303
    assert "cannot be resumed" in flashed(admin, update_id)
    refill(app)
    run_worker(app)
    assert len(received(mail_server)) == 5 and queued_rows(app) == 0
    with app.app_context():
        cancelled = db.session.get(CampaignUpdate, update_id)
        assert (cancelled.status, cancelled.cancelled_count, cancelled.cancelled_by) == (
            "cancelled",
            3,
            ADMIN,
        )
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AdminAudit)
                .where(AdminAudit.action == "update cancelled")
            )
            == 1
        )


def until_a_transaction_waits_for_a_lock(engine, seconds: float = 10.0) -> None:
    """On PostgreSQL, until another transaction waits for a row lock: the race is then
    set, where a fixed pause could let the test pass without it. SQLite's writers queue on
    one lock instead, so there half a second is given."""
    if engine.dialect.name != "postgresql":
        time.sleep(0.5)
        return
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    deadline = time.monotonic() + seconds
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            if connection.execute(waiting).scalar():
                return
            connection.rollback()  # the view is read afresh in each transaction
            time.sleep(0.02)
    raise AssertionError("no transaction came to wait for a lock")


def test_a_cancel_and_an_unsubscribe_at_the_same_moment_both_go_through(site, mail_server):
    """Cancel locks the update, then deletes its messages; an unsubscribe arriving in between
    must wait for the update rather than hold a message (PostgreSQL would end one of them as
    a deadlock, and the organiser or the supporter would get an error page)."""
    app, admin = site
    for n in range(4):
        supporter(app, f"d{n}@example.org")
    run_worker(app)
    update_id, page = write_update(admin)
    send(admin, update_id, page)  # four queued, none sent yet
    link = f"/unsubscribe/{token_of(app, 'd0@example.org', link_tokens.UNSUBSCRIBE)}"
    answers = []
    unsubscribing = threading.Thread(
        target=lambda: answers.append(app.test_client().post(link).status_code)
    )

    def unsubscribe_in_between(conn, cursor, statement, *args):
        if statement.startswith("DELETE FROM outbox_message") and unsubscribing.ident is None:
            unsubscribing.start()  # cancel holds the update now, and is about to delete
            until_a_transaction_waits_for_a_lock(engine)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", unsubscribe_in_between)
    try:
        token = csrf_token_from(admin.get(f"/admin/updates/{update_id}").get_data(as_text=True))
        cancelled = admin.post(f"/admin/updates/{update_id}/cancel", data={"csrf_token": token})
    finally:
        event.remove(engine, "before_cursor_execute", unsubscribe_in_between)
    unsubscribing.join(timeout=30)

    assert cancelled.status_code == 303 and answers and answers[0] < 500, answers
    with app.app_context():
        done = db.session.get(CampaignUpdate, update_id)
        assert done.status == "cancelled"
        assert done.cancelled_count + done.unsubscribed_count == 4
    assert queued_rows(app) == 0


def test_an_unsubscribe_and_an_invalidation_at_the_same_moment_both_go_through(site, mail_server):
    """Both take a signature, the update, its messages and the tally row of the hour: in the
    same order (updates.py), or PostgreSQL ends one of them as a deadlock."""
    app, admin = site
    supporter(app, "quits@example.org")
    supporter(app, "script@example.org")  # the same hour, source, country and language
    run_worker(app)
    update_id, page = write_update(admin)
    send(admin, update_id, page)  # two queued
    script = signature_id_of(app, "script@example.org")
    with app.app_context():
        db.session.execute(
            update(Signature).where(Signature.id == script).values(review_marks="busy_address")
        )
        db.session.commit()
        engine = db.engine
    token = csrf_token_from(admin.get("/admin/review").get_data(as_text=True))
    decision = {"csrf_token": token, "ids": [script], "decision": "invalidate", "reason": "bot"}
    answers = []
    invalidating = threading.Thread(
        target=lambda: answers.append(admin.post("/admin/review", data=decision).status_code)
    )

    def invalidate_in_between(conn, cursor, statement, *args):
        if statement.startswith("INSERT INTO signature_tally") and invalidating.ident is None:
            invalidating.start()  # the unsubscribe holds its tally row now
            until_a_transaction_waits_for_a_lock(engine)

    event.listen(engine, "after_cursor_execute", invalidate_in_between)
    try:
        link = f"/unsubscribe/{token_of(app, 'quits@example.org', link_tokens.UNSUBSCRIBE)}"
        unsubscribed = app.test_client().post(link)
    finally:
        event.remove(engine, "after_cursor_execute", invalidate_in_between)
    invalidating.join(timeout=30)

    assert unsubscribed.status_code == 200 and answers == [303], (unsubscribed, answers)
    figures = progress_row(flashed(admin, update_id))
    assert [
        figures[name] for name in ("Queued", "Unsubscribed meanwhile", "Invalidated meanwhile")
    ] == [
        "0",
        "1",
        "1",
    ]


def test_a_test_goes_to_the_organiser_only(site, mail_server):
    app, admin = site
    supporter(app, "someone@example.org")
    run_worker(app)
    before = len(mail_server.inbox.messages)
    update_id, page = write_update(admin)
    token = csrf_token_from(page)
    response = admin.post(
        f"/admin/updates/{update_id}/test",
        data={"csrf_token": token, "test_language": "de", "test_address": ADMIN},
    )
    assert response.status_code == 303
    new = mail_server.inbox.messages[before:]
    assert [m["To"] for m in new] == [ADMIN]
    assert new[0]["Subject"] == "[Test] Neuigkeiten der Kampagne"
    assert queued_rows(app) == 0
    with app.app_context():
        assert db.session.get(CampaignUpdate, update_id).status == "draft"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"subject_en": ""}, "Please write the English subject"),
        ({"body_en": "  \n "}, "Please write the English message"),
        ({"body_en": "x" * 20_001}, "Keep the message under 20,000 characters"),
        (
            {"subject_de": "Nur ein Betreff", "body_de": ""},
            "Write both the German subject and message",
        ),
        ({"language": "es"}, "The site speaks English, German, French, Russian and Ukrainian"),
        ({"country": "XX"}, "Choose a country from the list"),
        ({"source": "<script>"}, "A source code has only letters"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_stored(site, change, message):
    app, admin = site
    token = csrf_token_from(admin.get("/admin/updates/new").get_data(as_text=True))
    response = admin.post("/admin/updates/new", data={**TEXTS, **change, "csrf_token": token})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CampaignUpdate)) == 0


def test_a_tampered_count_or_test_language_sends_nothing(site, mail_server):
    app, admin = site
    supporter(app, "one@example.org")
    supporter(app, "two@example.org")
    run_worker(app)
    update_id, page = write_update(admin)
    fields = send_form_of(confirm_page(admin, update_id, page))
    admin.post(f"/admin/updates/{update_id}/send", data={**fields, "as_of": "yesterday"})
    assert "nothing was sent" in flashed(admin, update_id)
    admin.post(f"/admin/updates/{update_id}/send", data={**fields, "expected": "1"})
    assert "not the 1 you confirmed: nothing was sent" in flashed(admin, update_id)
    admin.post(
        f"/admin/updates/{update_id}/test",
        data={"csrf_token": fields["csrf_token"], "test_language": "es", "test_address": ADMIN},
    )
    assert "The site speaks English, German, French, Russian and Ukrainian" in flashed(
        admin, update_id
    )
    assert queued_rows(app) == 0
    with app.app_context():
        assert db.session.get(CampaignUpdate, update_id).status == "draft"


def test_the_count_only_falls_between_looking_and_sending(site, mail_server):
    app, admin = site
    supporter(app, "early@example.org")
    supporter(app, "gone@example.org")
    run_worker(app)
    update_id, page = write_update(admin)
    supporter(app, "late@example.org")  # confirmed after the organiser looked: not included
    app.test_client().post(
        f"/unsubscribe/{token_of(app, 'gone@example.org', link_tokens.UNSUBSCRIBE)}"
    )
    send(admin, update_id, page)
    assert "Sending to 1 supporter (1 fewer than counted" in flashed(admin, update_id)
    run_worker(app)
    assert set(received(mail_server)) == {"early@example.org"}


def test_control_characters_in_a_message_are_dropped_not_stored(site):
    app, admin = site
    body = "First line\x00 with a NUL\u202e and an override\r\n\r\n\r\nSecond paragraph"
    update_id, _page = write_update(admin, body_en=body)
    from campaign_site.models import CampaignUpdateText

    with app.app_context():
        stored = db.session.get(CampaignUpdateText, (update_id, "en")).body
    assert stored == "First line with a NUL and an override\n\nSecond paragraph"


# --- the confirming step and tests to any address -----------------------------------------


def test_send_comes_after_the_previews_and_the_test_on_a_confirming_step(site, mail_server):
    app, admin = site
    for n in range(2):
        supporter(app, f"c{n}@example.org")
    run_worker(app)
    update_id, page = write_update(admin)
    assert "/send" not in page  # no sending from the update's own page
    assert (
        page.index("As supporters will see it")
        < page.index("Send a test")
        < page.index("Continue to sending")
    )
    confirming = confirm_page(admin, update_id, page)
    assert "Send update" in confirming and "to 2 supporters?" in confirming
    assert "Nothing has been sent yet." in confirming
    assert ">Send to 2 supporters</button>" in confirming
    assert queued_rows(app) == 0  # opening the confirming step sends nothing
    with app.app_context():
        assert db.session.get(CampaignUpdate, update_id).status == "draft"
    assert send(admin, update_id, page).status_code == 303
    assert queued_rows(app) == 2


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"expected": "2"},
        {"expected": "0", "as_of": "2026-12-06T10:00:00+00:00"},
        {"expected": "x"},
    ],
)
def test_a_confirming_step_without_a_count_sends_nothing_and_says_so(site, query):
    app, admin = site
    update_id, _ = write_update(admin)
    response = admin.get(f"/admin/updates/{update_id}/confirm", query_string=query)
    assert response.status_code == 303
    assert "The count did not come through: nothing was sent" in flashed(admin, update_id)
    assert queued_rows(app) == 0


def test_a_tampered_count_on_the_confirming_step_is_refused(site, mail_server):
    app, admin = site
    supporter(app, "t1@example.org")
    supporter(app, "t2@example.org")
    run_worker(app)
    update_id, page = write_update(admin)
    fields = send_form_of(confirm_page(admin, update_id, page))
    admin.post(f"/admin/updates/{update_id}/send", data={**fields, "expected": "1"})
    assert "2 supporters would receive it, not the 1 you confirmed" in flashed(admin, update_id)
    assert queued_rows(app) == 0


def test_a_test_may_go_to_any_address_the_organiser_types(site, mail_server):
    app, admin = site
    update_id, page = write_update(admin)
    assert f'value="{ADMIN}"' in page  # their own address, ready
    before = len(mail_server.inbox.messages)
    response = admin.post(
        f"/admin/updates/{update_id}/test",
        data={
            "csrf_token": csrf_token_from(page),
            "test_language": "en",
            "test_address": " Colleague@Example.org ",
        },
    )
    assert response.status_code == 303
    new = mail_server.inbox.messages[before:]
    assert [m["To"] for m in new] == ["Colleague@example.org"]
    assert "went to Colleague@example.org" in flashed(admin, update_id)
    with app.app_context():
        details = db.session.scalars(
            select(AdminAudit.detail).where(AdminAudit.action == "update test sent")
        ).all()
    assert details == [f"update {update_id}: test in en to another address"]


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("", "Type the address the test should go to."),
        ("not an address", "Type a whole email address for the test"),
        ("a@b", "Type a whole email address for the test"),
    ],
)
def test_a_test_to_a_bad_address_is_refused_and_nothing_sent(site, mail_server, address, message):
    _, admin = site
    update_id, page = write_update(admin)
    before = len(mail_server.inbox.messages)
    admin.post(
        f"/admin/updates/{update_id}/test",
        data={"csrf_token": csrf_token_from(page), "test_language": "en", "test_address": address},
    )
    assert message in flashed(admin, update_id)
    assert len(mail_server.inbox.messages) == before
