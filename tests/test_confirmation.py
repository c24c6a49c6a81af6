"""Double opt-in: a supporter signs, gets an email from a real SMTP server, confirms, and can
withdraw or unsubscribe; the mail worker survives a mail server that is down."""

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import update
from support import (
    csrf_token_from,
    links_in,
    old_token,
    outbox_rows,
    run_worker,
    sign,
    stored_signatures,
)

from campaign_site.extensions import db
from campaign_site.mail import outbox
from campaign_site.mail.transports import SmtpTransport
from campaign_site.models import OutboxMessage, utcnow
from campaign_site.petition import link_tokens


def count(client) -> int:
    return client.get("/api/count").get_json()["count"]


def test_supporter_confirms_through_the_emailed_link(mail_app, mail_server):
    client = mail_app.test_client()
    sign(client, name="Анна Иванова", email="anna@example.org")
    assert count(client) == 0  # pending signatures do not count
    assert mail_server.inbox.messages == []  # the request never talks to SMTP

    run_worker(mail_app)

    [message] = mail_server.inbox.to("anna@example.org")
    assert message["Subject"] == "Confirm your signature for Justice for Sergei"
    assert message.get_body(preferencelist=("html",)) is not None
    assert "Dear supporter," in message.get_body(preferencelist=("plain",)).get_content()
    links = links_in(message)
    assert message["List-Unsubscribe"] == f"<http://localhost{links['unsubscribe']}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert {"confirm", "withdraw", "unsubscribe", "privacy"} <= set(links)

    first = client.get(links["confirm"])
    assert first.status_code == 200
    assert "your signature is confirmed" in first.get_data(as_text=True)
    assert count(client) == 1
    [sent] = outbox_rows(mail_app)
    assert sent.sent_at is not None and sent.attempts == 1


def test_list_unsubscribe_is_a_plain_url_on_the_wire(mail_app, mail_server):
    """Folded into RFC 2047 encoded words, the URL is unreadable to mail clients' one-click."""
    sign(mail_app.test_client(), email="wire@example.org")
    run_worker(mail_app)
    [raw] = mail_server.inbox.raw
    header = re.search(rb"^List-Unsubscribe: (.*)$", raw, re.M).group(1).rstrip(b"\r")
    assert re.fullmatch(rb"<http://localhost/unsubscribe/[\w.-]+>", header), header


def test_opening_the_confirmation_link_again_is_harmless(mail_app, mail_server):
    client = mail_app.test_client()
    sign(client)
    run_worker(mail_app)
    link = links_in(mail_server.inbox.messages[0])["confirm"]

    client.get(link)  # a mail scanner got there first
    again = client.get(link)

    assert again.status_code == 200
    assert "already confirmed" in again.get_data(as_text=True)
    assert count(client) == 1


def test_markup_typed_as_a_name_never_reaches_the_email(mail_app, mail_server):
    sign(mail_app.test_client(), name="<script>alert(1)</script> Ann")
    run_worker(mail_app)
    html = mail_server.inbox.messages[0].get_body(preferencelist=("html",)).get_content()
    assert "script" not in html
    assert "Dear supporter," in html


def test_mail_server_down_keeps_the_message_and_retries_later(mail_app, mail_server):
    client = mail_app.test_client()
    mail_server.stop()
    sign(client, email="patient@example.org")

    result = run_worker(mail_app)

    assert "will retry 1" in result.output
    [waiting] = outbox_rows(mail_app)
    assert (waiting.sent_at, waiting.failed_at, waiting.attempts) == (None, None, 1)
    assert waiting.next_attempt_at > utcnow()
    assert "ConnectionRefusedError" in waiting.last_error
    assert len(stored_signatures(mail_app)) == 1

    mail_server.start()
    run_worker(mail_app)  # not yet due: backing off
    assert mail_server.inbox.messages == []

    with mail_app.app_context():  # the backoff has passed
        db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
    run_worker(mail_app)
    assert len(mail_server.inbox.to("patient@example.org")) == 1
    assert outbox_rows(mail_app)[0].sent_at is not None


def test_a_worker_run_by_cron_fails_loudly_when_the_database_is_away(app_factory):
    app_factory()  # first, as the fixture empties the tables through its first app
    away = app_factory(  # a closed port: refused at once, and two seconds at the most
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://campaign@127.0.0.1:9/none?connect_timeout=2"
    )

    result = away.test_cli_runner().invoke(args=["mail-worker", "--once"])

    assert result.exit_code == 1, result.output  # cron tells the operator


def test_a_refused_mailbox_is_given_up_on_at_once(mail_app, mail_server):
    mail_server.inbox.refuse_with = "550 No such user here"
    sign(mail_app.test_client(), email="nobody@example.org")
    run_worker(mail_app)
    [message] = outbox_rows(mail_app)
    assert message.failed_at is not None and message.sent_at is None
    assert "550" in message.last_error


def test_a_mail_servers_error_is_kept_without_the_supporters_address(mail_app, mail_server, caplog):
    """Servers name the recipient in their errors; the outbox and the log must not keep it."""
    mail_server.inbox.refuse_with = "450 4.2.1 <{address}>: mailbox busy, try again later"
    sign(mail_app.test_client(), email="busy.supporter@example.org")
    run_worker(mail_app)
    [message] = outbox_rows(mail_app)
    assert message.sent_at is None and message.failed_at is None  # 4xx: tried again later
    assert "450" in message.last_error and "<address>" in message.last_error
    assert "busy.supporter" not in message.last_error
    assert "busy.supporter" not in caplog.text and "mailbox busy" in caplog.text


def test_messages_are_given_up_on_after_the_last_attempt(app_factory, mail_server):
    app = app_factory(**mail_server.settings(), MAIL_MAX_ATTEMPTS=2)
    mail_server.stop()
    sign(app.test_client())
    for _ in range(2):
        with app.app_context():
            db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
            db.session.commit()
        run_worker(app)
    [message] = outbox_rows(app)
    assert message.attempts == 2 and message.failed_at is not None


def test_two_workers_racing_send_every_message_exactly_once(mail_app, mail_server):
    client = mail_app.test_client()
    addresses = [f"racer{n}@example.org" for n in range(30)]
    for address in addresses:
        sign(client, email=address)

    def worker():
        with mail_app.app_context():
            while outbox.deliver_due(SmtpTransport(mail_app.config), batch_size=3).sent:
                pass
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    received = sorted(m["To"] for m in mail_server.inbox.messages)
    assert len(received) == len(addresses)
    assert len(set(received)) == len(addresses)
    assert all(row.sent_at is not None for row in outbox_rows(mail_app))


def test_signing_again_resends_the_link_to_a_pending_address(app_factory, mail_server):
    app = app_factory(**mail_server.settings(), RESEND_INTERVAL_MINUTES=0)
    client = app.test_client()
    sign(client, email="again@example.org")
    sign(client, email="AGAIN@example.org")
    run_worker(app)
    subjects = [m["Subject"] for m in mail_server.inbox.to("again@example.org")]
    assert subjects == ["Confirm your signature for Justice for Sergei"] * 2


def test_signing_again_after_confirming_sends_an_already_signed_note(app_factory, mail_server):
    app = app_factory(**mail_server.settings(), RESEND_INTERVAL_MINUTES=0)
    client = app.test_client()
    sign(client, email="done@example.org")
    run_worker(app)
    client.get(links_in(mail_server.inbox.messages[0])["confirm"])

    sign(client, email="done@example.org")
    run_worker(app)

    latest = mail_server.inbox.to("done@example.org")[-1]
    assert latest["Subject"] == "You have already signed the petition for Justice for Sergei"
    assert count(client) == 1


def test_repeat_sign_ups_mail_an_address_at_most_once_an_interval(mail_app, mail_server):
    client = mail_app.test_client()
    for _ in range(5):
        sign(client, email="target@example.org")
    run_worker(mail_app)
    assert len(mail_server.inbox.to("target@example.org")) == 1


def test_an_expired_confirmation_link_gets_a_clear_page(app, client):
    sign(client)
    token = old_token(app, link_tokens.CONFIRM, timedelta(days=8))
    response = client.get(f"/confirm/{token}")
    assert response.status_code == 410
    assert "This confirmation link has expired" in response.get_data(as_text=True)
    assert count(client) == 0


def test_an_expired_link_to_a_confirmed_signature_just_says_so(app, client):
    sign(client)
    old = old_token(app, link_tokens.CONFIRM, timedelta(days=8))
    client.get(f"/confirm/{old_token(app, link_tokens.CONFIRM, timedelta(0))}")
    response = client.get(f"/confirm/{old}")
    assert response.status_code == 200
    assert "already confirmed" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: "x" + t,
        lambda t: "not-a-token",
        lambda t: t.split(".")[0],
    ],
)
def test_a_tampered_confirmation_link_gets_a_clear_page(app, client, tamper):
    sign(client)
    token = old_token(app, link_tokens.CONFIRM, timedelta(0))
    response = client.get(f"/confirm/{tamper(token)}")
    assert response.status_code == 404
    assert "This link does not work" in response.get_data(as_text=True)
    assert count(client) == 0


def test_a_link_for_one_purpose_cannot_be_used_for_another(app, client):
    sign(client)
    withdraw_token = old_token(app, link_tokens.WITHDRAW, timedelta(0))
    assert client.get(f"/confirm/{withdraw_token}").status_code == 404
    assert count(client) == 0


def _open_withdraw_page(client, link):
    page = client.get(link)
    assert page.status_code == 200
    assert 'name="csrf_token"' not in page.text and "Set-Cookie" not in page.headers


def test_withdrawing_erases_the_signature_and_the_count_drops(mail_app, mail_server):
    client = mail_app.test_client()
    sign(client, name="Leaving Person", email="leaving@example.org")
    sign(client, name="Staying Person", email="staying@example.org")
    run_worker(mail_app)
    leaving = links_in(mail_server.inbox.to("leaving@example.org")[0])
    client.get(leaving["confirm"])
    client.get(links_in(mail_server.inbox.to("staying@example.org")[0])["confirm"])
    assert count(client) == 2

    _open_withdraw_page(client, leaving["withdraw"])
    assert count(client) == 2  # opening the page changes nothing
    response = client.post(leaving["withdraw"], headers={"Sec-Fetch-Site": "same-origin"})

    assert response.status_code == 200
    assert "Your signature has been withdrawn" in response.get_data(as_text=True)
    assert count(client) == 1
    assert [s.name for s in stored_signatures(mail_app)] == ["Staying Person"]
    assert len(outbox_rows(mail_app)) == 1  # the leaver's email record went with them
    again = client.post(leaving["withdraw"], headers={"Sec-Fetch-Site": "same-origin"})
    assert again.status_code == 404
    assert client.get(leaving["confirm"]).status_code == 404


def test_withdrawing_a_pending_signature_leaves_the_count_alone(app, client):
    sign(client)
    link = f"/withdraw/{old_token(app, link_tokens.WITHDRAW, timedelta(0))}"
    _open_withdraw_page(client, link)
    client.post(link)
    assert stored_signatures(app) == []
    assert count(client) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
    ],
)
def test_another_site_cannot_press_the_withdraw_button(app, client, headers):
    sign(client)
    link = f"/withdraw/{old_token(app, link_tokens.WITHDRAW, timedelta(0))}"
    response = client.post(link, headers=headers)
    assert response.status_code == 403
    assert "This form can only be sent from our own page" in response.text
    assert len(stored_signatures(app)) == 1


def test_unsubscribe_page_asks_first_and_then_stops_updates(app, client):
    sign(client, keep_informed="y")
    link = f"/unsubscribe/{old_token(app, link_tokens.UNSUBSCRIBE, timedelta(0))}"
    assert client.get(link).status_code == 200
    assert stored_signatures(app)[0].keep_informed is True
    response = client.post(link, headers={"Sec-Fetch-Site": "same-origin"})
    assert "You will not receive campaign updates" in response.get_data(as_text=True)
    [signature] = stored_signatures(app)
    assert signature.keep_informed is False


def test_one_click_unsubscribe_from_a_mail_client(app, client):
    sign(client, keep_informed="y")
    link = f"/unsubscribe/{old_token(app, link_tokens.UNSUBSCRIBE, timedelta(0))}"
    response = client.post(link, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert stored_signatures(app)[0].keep_informed is False


def test_without_confirmation_signatures_count_at_once_and_no_mail_is_queued(app_factory):
    app = app_factory(CONFIRMATION_REQUIRED=False)
    client = app.test_client()
    sign(client)
    sign(client)
    assert count(client) == 1
    assert outbox_rows(app) == []
    assert "Please check your email" not in client.get("/thank-you").get_data(as_text=True)


def test_after_the_campaign_closes_the_form_says_signing_has_ended(app_factory):
    app = app_factory(PETITION_CLOSES_AT=utcnow() - timedelta(minutes=1))
    client = app.test_client()
    page = client.get("/").get_data(as_text=True)
    assert "This petition closed on" in page
    assert 'action="/sign' not in page

    response = client.post(
        "/sign", data={"given_name": "Late", "email": "late@example.org", "country": "DE"}
    )
    assert response.status_code in (400, 410)
    token = csrf_token_from(client.get("/admin/login").get_data(as_text=True))
    response = client.post(
        "/sign",
        data={
            "given_name": "Late",
            "email": "late@example.org",
            "country": "DE",
            "csrf_token": token,
        },
    )
    assert response.status_code == 410
    assert "This petition closed on" in response.get_data(as_text=True)
    assert stored_signatures(app) == []


def test_privacy_page_says_what_is_kept_why_how_long_and_how_to_erase(client):
    html = client.get("/privacy").get_data(as_text=True)
    for heading in ["What we store", "Why", "How long we keep it", "How to erase it"]:
        assert f"<h2>{heading}</h2>" in html
    assert "deleted after 7 days" in html
