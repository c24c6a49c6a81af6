"""No single message stops the mail: internationalised addresses, hostile names and
messages that cannot be built are each dealt with on their own, and the rest go out."""

from datetime import timedelta

import pytest
from mailserver import MailServer
from sqlalchemy import func, insert, select, update
from support import confirm_pending, outbox_rows, run_worker, sign, stored_signatures

from campaign_site.extensions import db
from campaign_site.models import OutboxMessage, Signature, utcnow
from campaign_site.petition.signing import NewSignature, record_signature

CRLF_NAME = "=?utf-8?q?x=0D=0ABcc=3A_a=40evil.test?="


def signed_directly(app, email: str, name: str = "Ada Lovelace") -> None:
    """A signature stored through the petition's rules, as the form would after validating."""
    with app.app_context():
        given, _, family = name.partition(" ")
        record_signature(NewSignature(given, family, email, "GB", None, False, False))


def make_due(app) -> None:
    """Pretend every back-off has passed."""
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()


@pytest.fixture
def utf8_mail_server():
    server = MailServer(smtputf8=True)
    server.start()
    yield server
    server.stop()


def test_a_poisoned_message_among_a_hundred_stops_none_of_them(mail_app, mail_server, admin_client):
    good = [f"supporter{n}@example.org" for n in range(100)]
    for address in good[:50]:
        signed_directly(mail_app, address)
    # Each of these once made the worker exit; the last can never be built at all.
    signed_directly(mail_app, "ivan@пример.рф", name="Иван")
    signed_directly(mail_app, "header@example.org", name=CRLF_NAME)
    with mail_app.app_context():
        victim = db.session.scalar(select(Signature.id).limit(1))
        db.session.execute(insert(OutboxMessage).values(signature_id=victim, kind="no-such-kind"))
        db.session.commit()
    for address in good[50:]:
        signed_directly(mail_app, address)

    result = run_worker(mail_app)

    delivered = {address for rcpt in mail_server.inbox.recipients for address in rcpt}
    assert set(good) <= delivered
    assert "ivan@xn--e1afmkfd.xn--p1ai" in delivered and "header@example.org" in delivered
    assert len(mail_server.inbox.messages) == 102
    assert "will retry 1" in result.output
    [broken] = [row for row in outbox_rows(mail_app) if row.kind == "no-such-kind"]
    assert broken.attempts == 1 and broken.failed_at is None and broken.next_attempt_at > utcnow()
    assert "could not build the message" in broken.last_error

    for _ in range(2):  # MAIL_MAX_BUILD_ATTEMPTS is 3
        make_due(mail_app)
        run_worker(mail_app)
    [broken] = [row for row in outbox_rows(mail_app) if row.kind == "no-such-kind"]
    assert broken.attempts == 3 and broken.failed_at is not None
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert "Emails given up" in page and "could not build the message" in page


def test_an_internationalised_domain_is_accepted_and_sent_idna_encoded(mail_app, mail_server):
    client = mail_app.test_client()
    assert sign(client, email="ivan@пример.рф").status_code == 303
    assert sign(client, email="ivan@xn--e1afmkfd.xn--p1ai").status_code == 303  # the same mailbox
    assert [s.email for s in stored_signatures(mail_app)] == ["ivan@пример.рф"]

    run_worker(mail_app)

    [message] = mail_server.inbox.messages
    assert mail_server.inbox.recipients == [["ivan@xn--e1afmkfd.xn--p1ai"]]
    assert message["To"] == "ivan@xn--e1afmkfd.xn--p1ai"
    assert "SMTPUTF8" not in mail_server.inbox.mail_options[0]  # plain SMTP: any server takes it


@pytest.mark.parametrize(
    ("language", "words"),
    [("", "Latin alphabet"), ("/ru", "латиниц"), ("/de", "lateinisch"), ("/uk", "латиниц")],
)
def test_a_non_ascii_mailbox_name_is_refused_politely_without_smtputf8(app, language, words):
    client = app.test_client()
    client.get(language + "/")
    hidden = client.get(language + "/").get_data(as_text=True)
    from support import VALID_SIGNATURE, hidden_fields

    response = client.post(
        language + "/sign",
        data={**VALID_SIGNATURE, **hidden_fields(hidden), "email": "иван@пример.рф"},
    )
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)
    assert stored_signatures(app) == []


def test_with_smtputf8_a_non_ascii_mailbox_is_delivered(app_factory, utf8_mail_server):
    app = app_factory(**utf8_mail_server.settings(), MAIL_SMTPUTF8=True)
    assert sign(app.test_client(), email="иван@пример.рф").status_code == 303
    run_worker(app)
    assert utf8_mail_server.inbox.recipients == [["иван@пример.рф"]]
    assert "SMTPUTF8" in utf8_mail_server.inbox.mail_options[0]
    assert outbox_rows(app)[0].sent_at is not None


def test_a_server_without_smtputf8_is_recorded_against_the_message(app_factory, mail_server):
    app = app_factory(**mail_server.settings(), MAIL_SMTPUTF8=True)
    sign(app.test_client(), email="иван@пример.рф")
    run_worker(app)
    [message] = outbox_rows(app)
    assert message.failed_at is not None and message.sent_at is None
    assert "does not offer SMTPUTF8" in message.last_error
    assert "иван" not in message.last_error


def test_an_address_stored_before_smtputf8_was_switched_off_is_given_up_not_fatal(
    app_factory, mail_server
):
    signed_directly(app_factory(MAIL_SMTPUTF8=True), "иван@пример.рф")
    app = app_factory(**mail_server.settings())
    signed_directly(app, "after@example.org")
    run_worker(app)
    assert mail_server.inbox.recipients == [["after@example.org"]]
    failed = [row for row in outbox_rows(app) if row.failed_at is not None]
    assert len(failed) == 1 and "MAIL_SMTPUTF8" in failed[0].last_error


def test_a_message_that_kills_its_worker_runs_out_of_attempts(app_factory, mail_server):
    """A worker that dies mid-message (say, out of memory) still used up an attempt."""
    from campaign_site.mail.outbox import claim

    app = app_factory(**mail_server.settings(), MAIL_MAX_ATTEMPTS=2)
    signed_directly(app, "doomed@example.org")
    for _ in range(2):
        with app.app_context():
            assert any(claim(10))  # claimed, then the worker "dies" before recording anything
            db.session.execute(
                update(OutboxMessage).values(leased_until=utcnow() - timedelta(seconds=1))
            )
            db.session.commit()  # ...and its lease runs out
    run_worker(app)
    [message] = outbox_rows(app)
    assert message.failed_at is not None and "worker stopped" in message.last_error
    assert mail_server.inbox.messages == []


HOSTILE_NAMES = [
    "Иван <attacker1@evil.test>,",
    CRLF_NAME,
    "https://evil.test/claim-your-prize Ivan",
    "www.evil.test",
    "Ivan" + "x" * 96,  # as long as a given name may be (100 characters)
    "Ivan2000",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_name_typed_by_anyone_never_enters_a_header_or_a_link(mail_app, mail_server, name):
    assert sign(mail_app.test_client(), name=name, email="victim@example.org").status_code == 303
    run_worker(mail_app)
    [raw] = mail_server.inbox.raw
    [message] = mail_server.inbox.messages
    assert message["To"] == "victim@example.org"
    assert message["Bcc"] is None and message["Cc"] is None
    assert mail_server.inbox.recipients == [["victim@example.org"]]
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert b"evil" not in headers and b"Ivan" not in headers
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for body in (text, html):
        assert "evil" not in body and "xxxxxxxxxx" not in body and "Ivan2000" not in body
    assert text.splitlines()[0] in {"Dear supporter,", "Dear Иван,"}


@pytest.mark.parametrize(
    ("given_name", "greeting"),
    [
        ("Anna", "Dear Anna,"),
        ("Jean-Luc", "Dear Jean-Luc,"),
        ("O'Brien", "Dear O'Brien,"),
        ("J.", "Dear J.,"),
        ("Nguyễn Văn", "Dear Nguyễn,"),
        ("ВАС ВИДЯТ", "Dear ВАС,"),  # one word at most, never a sentence
    ],
)
def test_a_confirmed_supporter_is_greeted_by_the_first_word_of_their_given_name(
    app_factory, mail_server, given_name, greeting
):
    app = app_factory(**mail_server.settings(), RESEND_INTERVAL_MINUTES=0)
    client = app.test_client()
    sign(client, given_name=given_name, family_name="Smith")
    confirm_pending(app, client)
    sign(client, given_name=given_name, family_name="Smith")  # again: the "already signed" note
    run_worker(app)
    confirmation, note = [
        m.get_body(preferencelist=("plain",)).get_content() for m in mail_server.inbox.messages
    ]
    assert confirmation.splitlines()[0] == "Dear supporter,"
    assert note.splitlines()[0] == greeting


def test_the_confirmation_email_never_greets_by_a_name_typed_by_anyone(mail_app, mail_server):
    """Until the address's owner confirms, the name was typed by whoever entered the address."""
    sign(mail_app.test_client(), given_name="Traitor", email="victim@example.org")
    run_worker(mail_app)
    [message] = mail_server.inbox.messages
    for part in ("plain", "html"):
        body = message.get_body(preferencelist=(part,)).get_content()
        assert "Traitor" not in body and "Dear supporter," in body


def test_given_up_mail_is_counted_on_the_dashboard(app_factory, mail_server, admin_client):
    mail_server.inbox.refuse_with = "550 No such user here"
    app = app_factory(**mail_server.settings())
    sign(app.test_client(), email="nobody@example.org")
    run_worker(app)
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).where(OutboxMessage.failed_at.is_not(None))) == 1
        )
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert "Emails given up" in page and "550" in page and "nobody@" not in page


def test_a_message_waiting_for_its_key_is_not_given_up_as_a_dead_worker(app_factory, mail_server):
    """Retried many times while a data key is missing: recorded attempts are not crashes."""
    from campaign_site.crypto.keyrings import new_key

    signed_directly(app_factory(), "patient.key@example.org")
    app = app_factory(**mail_server.settings(), MAIL_MAX_ATTEMPTS=2, DATA_ENCRYPTION_KEY=new_key())
    for _ in range(4):
        make_due(app)
        run_worker(app)
    [message] = outbox_rows(app)
    assert message.attempts == 4 and message.failed_at is None  # still waiting for the key
