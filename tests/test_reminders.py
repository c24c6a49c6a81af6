"""One reminder to confirm: a signature still pending CONFIRMATION_REMINDER_HOURS after
signing gets exactly one more email with a working confirm link, from the mail worker, in
its language, discreet where its mail is; never to one confirmed, withdrawn, erased or
invalidated, never twice, and the dashboard shows whether it helps."""

import email
import email.policy
import re
from datetime import timedelta

import pytest
from sqlalchemy import update
from support import sign, withdraw, withdraw_link

from campaign_site.extensions import db
from campaign_site.models import Signature, SignatureStatus, utcnow
from campaign_site.petition import reminders

CONFIRM_LINK = re.compile(r"http://localhost(/(?:[a-z]{2}/)?confirm/\S+)")


@pytest.fixture
def mail_site(app_factory, mail_server):
    return app_factory(**mail_server.settings(), CONFIRMATION_REMINDER_HOURS=48)


def run_worker(app) -> str:
    result = app.test_cli_runner().invoke(args=["mail-worker", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def age_signatures(app, hours: float) -> None:
    """Every signature signed `hours` ago, as if the clock had moved on."""
    with app.app_context():
        db.session.execute(update(Signature).values(signed_at=utcnow() - timedelta(hours=hours)))
        db.session.commit()


def mail_to(mail_server, address: str) -> list:
    return [
        email.message_from_bytes(raw, policy=email.policy.default)
        for raw, to in zip(mail_server.inbox.raw, mail_server.inbox.recipients, strict=True)
        if address in to
    ]


def subjects(mail_server, address: str) -> list[str]:
    return [message["Subject"] for message in mail_to(mail_server, address)]


def confirm_link(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return CONFIRM_LINK.search(text).group(1)


def test_a_signature_pending_48_hours_gets_one_reminder_in_its_language(mail_site, mail_server):
    client = mail_site.test_client()
    assert sign(client, email="ada@example.org").status_code == 303
    with mail_site.app_context():  # as if signed on /de/
        db.session.execute(update(Signature).values(language="de"))
        db.session.commit()
    run_worker(mail_site)
    age_signatures(mail_site, 47)
    run_worker(mail_site)
    assert len(mail_to(mail_server, "ada@example.org")) == 1  # not yet due

    age_signatures(mail_site, 49)
    run_worker(mail_site)
    run_worker(mail_site)  # a re-run
    _first, reminder = mail_to(mail_server, "ada@example.org")
    assert (
        reminder["Subject"]
        == "Erinnerung: Bitte bestätigen Sie Ihre Unterschrift für Gerechtigkeit für Sergei"
    )
    assert "Erinnerung" in reminder.get_body(preferencelist=("plain",)).get_content()
    assert "5 Tage" in reminder.get_body(preferencelist=("plain",)).get_content()  # of 7 left

    assert client.get(confirm_link(reminder)).status_code == 200
    with mail_site.app_context():
        signature = db.session.scalars(db.select(Signature)).one()
        assert signature.status == SignatureStatus.CONFIRMED
        assert signature.reminded_at is not None


def test_never_to_a_confirmed_withdrawn_or_invalidated_signature(mail_site, mail_server):
    client = mail_site.test_client()
    for address in (
        "done@example.org",
        "gone@example.org",
        "fraud@example.org",
        "wait@example.org",
    ):
        assert sign(client, email=address).status_code == 303
    run_worker(mail_site)
    link = CONFIRM_LINK.search(
        mail_to(mail_server, "done@example.org")[0].get_body(("plain",)).get_content()
    ).group(1)
    assert client.get(link).status_code == 200
    withdraw(client, withdraw_link(mail_site, "gone@example.org"))
    invalidate(mail_site, "fraud@example.org")
    age_signatures(mail_site, 49)
    run_worker(mail_site)
    for address in ("done@example.org", "gone@example.org", "fraud@example.org"):
        assert len(mail_to(mail_server, address)) == 1, address
    assert len(mail_to(mail_server, "wait@example.org")) == 2


def invalidate(app, address: str) -> None:
    from campaign_site.petition import invalidation, signing

    with app.app_context():
        signature_id = signing.find_by_email(address).id
        db.session.rollback()
        assert invalidation.invalidate_ids([signature_id]) == 1


def test_not_once_the_link_has_expired_nor_when_switched_off(app_factory, mail_server):
    off = app_factory(**mail_server.settings(), CONFIRMATION_REMINDER_HOURS=None)
    assert sign(off.test_client(), email="off@example.org").status_code == 303
    age_signatures(off, 49)
    run_worker(off)
    assert len(mail_to(mail_server, "off@example.org")) == 1

    late = app_factory(**mail_server.settings(), CONFIRMATION_REMINDER_HOURS=48)
    age_signatures(late, 7 * 24 + 1)  # CONFIRMATION_EXPIRY_DAYS=7: the link is dead
    run_worker(late)
    assert len(mail_to(mail_server, "off@example.org")) == 1


def test_zero_hours_reminds_at_once_and_the_claim_is_taken_once(app_factory, mail_server):
    site = app_factory(**mail_server.settings(), CONFIRMATION_REMINDER_HOURS=0)
    assert sign(site.test_client(), email="ada@example.org").status_code == 303
    with site.app_context():
        now = utcnow()
        # Two workers (or a restart) asking at the same moment: only one claim succeeds.
        assert reminders.queue_due(now) == 1
        assert reminders.queue_due(now) == 0
    run_worker(site)
    run_worker(site)
    assert len(mail_to(mail_server, "ada@example.org")) == 2


def test_the_discreet_reminder_has_no_campaign_word(app_factory, mail_server):
    site = app_factory(
        **mail_server.settings(),
        CONFIRMATION_REMINDER_HOURS=0,
        DISCREET_LINK_URL="http://notes.example.net",
    )
    assert (
        sign(site.test_client(), email="olga@yandex.ru", mail_risk_accepted="y").status_code == 303
    )
    run_worker(site)
    raws = [
        raw
        for raw, to in zip(mail_server.inbox.raw, mail_server.inbox.recipients, strict=True)
        if "olga@yandex.ru" in to
    ]
    assert len(raws) == 2
    reminder = raws[1]
    text = email.message_from_bytes(reminder, policy=email.policy.default)
    assert text["Subject"] == "A reminder: please confirm your address"
    assert text["From"] == "Notifications <noreply@localhost>"
    for word in ("petition", "sign", "justice", "sergei", "magnitsk", "campaign"):
        masked = re.sub(rb"/confirm/\S+|/withdraw/\S+|/unsubscribe/\S+", b"/TOKEN", reminder)
        assert word.encode() not in masked.lower(), word


def test_the_dashboard_counts_reminded_and_confirmed_after_it(
    app_factory, mail_server, admin_credentials
):
    site = app_factory(**mail_server.settings(), CONFIRMATION_REMINDER_HOURS=0)
    client = site.test_client()
    from support import log_in

    for address in ("a@example.org", "b@example.org"):
        assert sign(client, email=address).status_code == 303
    run_worker(site)
    reminder = mail_to(mail_server, "a@example.org")[-1]
    assert client.get(confirm_link(reminder)).status_code == 200
    assert log_in(client, *admin_credentials).status_code == 303
    page = client.get("/admin/signatures").get_data(as_text=True)
    assert re.search(r"<dt>Reminded to confirm</dt><dd>2</dd>", page)
    assert re.search(r"<dt>Confirmed after the reminder</dt><dd>1</dd>", page)
