"""Bounces and complaints: every message leaves with a VERP return path; `flask
mail-bounces` reads delivery reports (RFC 3464) and complaints (RFC 5965 ARF) from a
maildir or over IMAP (a real dovecot), and a mailbox that bounced gets no more mail until it
signs again, one that complained nothing it did not ask for."""

import re

import pytest
from imapserver import ImapServer, dovecot_binary
from sqlalchemy import select
from support import sign

from campaign_site.extensions import db
from campaign_site.models import OutboxMessage

VERP = re.compile(r"^bounces\+([0-9a-f]{24})@example\.org$")


@pytest.fixture
def site(app_factory, mail_server):
    return app_factory(
        **mail_server.settings(),
        MAIL_BOUNCE_ADDRESS="bounces@example.org",
        CONFIRMATION_REMINDER_HOURS=0,
        RESEND_INTERVAL_MINUTES=0,
    )


def run_worker(app) -> None:
    result = app.test_cli_runner().invoke(args=["mail-worker", "--once"])
    assert result.exit_code == 0, result.output


def bounces(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["mail-bounces", *args])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def sent_to(mail_server, address: str) -> list[str]:
    """The envelope senders of the messages to an address."""
    inbox = mail_server.inbox
    return [s for s, to in zip(inbox.senders, inbox.recipients, strict=True) if address in to]


def dsn(to: str, final: str, status: str, action: str = "failed") -> bytes:
    return f"""From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: <{to}>
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

The message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; {final}
Action: {action}
Status: {status}

--B
Content-Type: text/rfc822-headers

From: Someone <someone@example.org>
To: {final}
Subject: Hello

--B--
""".replace("\n", "\r\n").encode()


def arf(original_from: str, recipient: str) -> bytes:
    return f"""From: Feedback Loop <fbl@isp.example.net>
To: <abuse@example.org>
Subject: complaint
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="B"

--B
Content-Type: text/plain

A recipient marked this message as spam.

--B
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ISP-FBL/1.0
Version: 1
Original-Mail-From: <{original_from}>
Original-Rcpt-To: <{recipient}>

--B
Content-Type: message/rfc822

Return-Path: <{original_from}>
From: Someone <someone@example.org>
To: {recipient}
Subject: Hello

Hi
--B--
""".replace("\n", "\r\n").encode()


def maildir(tmp_path, *reports: bytes):
    folder = tmp_path / "bounces"
    for sub in ("new", "cur", "tmp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    for n, raw in enumerate(reports):
        (folder / "new" / f"17000000{n}.M1P1.test").write_bytes(raw)
    return folder


def mail_status(app, address: str) -> tuple[str, bool]:
    from campaign_site.petition import signing

    with app.app_context():
        signature = signing.find_by_email(address)
        found = (signature.mail_status, signature.keep_informed)
        db.session.rollback()
    return found


def test_every_message_leaves_with_a_random_verp_return_path(site, mail_server):
    assert sign(site.test_client(), email="ada@example.org").status_code == 303
    run_worker(site)
    senders = sent_to(mail_server, "ada@example.org")
    assert len(senders) == 2  # the confirmation, then the reminder (due at once)
    tokens = [VERP.match(sender).group(1) for sender in senders]
    assert tokens[0] != tokens[1]
    with site.app_context():
        stored = set(db.session.scalars(select(OutboxMessage.return_token)))
        db.session.rollback()
    assert stored == set(tokens)


def test_the_development_file_transport_shows_the_return_path(app_factory, tmp_path):
    site = app_factory(MAIL_BOUNCE_ADDRESS="bounces@example.org", CONFIRMATION_REMINDER_HOURS=None)
    assert sign(site.test_client(), email="ada@example.org").status_code == 303
    run_worker(site)
    [written] = (tmp_path / "outbox").glob("*.eml")
    first = written.read_bytes().split(b"\n", 1)[0].decode()
    assert re.fullmatch(r"Return-Path: <bounces\+[0-9a-f]{24}@example\.org>", first)


def test_a_hard_bounce_stops_all_mail_until_the_mailbox_signs_again(site, mail_server, tmp_path):
    client = site.test_client()
    assert sign(client, email="ada@example.org").status_code == 303
    with site.app_context():  # no reminder yet: it would be due at once
        site.config["CONFIRMATION_REMINDER_HOURS"] = 1
    run_worker(site)
    [verp] = sent_to(mail_server, "ada@example.org")
    # Matched by the token, though the report names another address.
    folder = maildir(tmp_path, dsn(verp, "someone-else@example.org", "5.1.1"))
    assert bounces(site, "--maildir", str(folder)) == (
        "mail-bounces: read 1, hard 1, soft 0, complaints 0, unreadable 0"
    )
    assert mail_status(site, "ada@example.org")[0] == "bounced"
    assert list((folder / "new").iterdir()) == []
    [kept] = (folder / "cur").iterdir()
    assert kept.name.endswith(":2,S")
    assert bounces(site, "--maildir", str(folder)) == (
        "mail-bounces: read 0, hard 0, soft 0, complaints 0, unreadable 0"
    )

    site.config["CONFIRMATION_REMINDER_HOURS"] = 0
    run_worker(site)
    assert len(sent_to(mail_server, "ada@example.org")) == 1  # no reminder to a bounced box

    assert sign(client, email="ada@example.org").status_code == 303  # signs again
    assert mail_status(site, "ada@example.org")[0] == "ok"
    run_worker(site)
    assert len(sent_to(mail_server, "ada@example.org")) == 3  # its link, and the reminder


def test_three_soft_bounces_make_a_hard_one_and_an_unreadable_report_is_kept(
    site, mail_server, tmp_path
):
    assert sign(site.test_client(), email="bob@example.org").status_code == 303
    soft = [dsn("postmaster@example.org", "bob@example.org", "4.2.2", "delayed") for _ in range(2)]
    folder = maildir(tmp_path, *soft, b"Subject: not a report\r\n\r\nhello\r\n")
    assert bounces(site, "--maildir", str(folder)) == (
        "mail-bounces: read 3, hard 0, soft 2, complaints 0, unreadable 1"
    )
    assert mail_status(site, "bob@example.org")[0] == "ok"
    assert len(list((folder / "new").iterdir())) == 1  # the unreadable one stays
    (folder / "new" / "17000009.M1P1.test").write_bytes(
        dsn("postmaster@example.org", "Bob@Example.org", "4.4.1", "failed")
    )
    assert bounces(site, "--maildir", str(folder)) == (
        "mail-bounces: read 2, hard 0, soft 1, complaints 0, unreadable 1"
    )
    assert mail_status(site, "bob@example.org")[0] == "bounced"


def test_a_complaint_stops_updates_and_reminders_but_not_the_links_asked_for(
    site, mail_server, tmp_path
):
    client = site.test_client()
    assert sign(client, email="eve@example.org", keep_informed="y").status_code == 303
    site.config["CONFIRMATION_REMINDER_HOURS"] = 1
    run_worker(site)
    [verp] = sent_to(mail_server, "eve@example.org")
    folder = maildir(tmp_path, arf(verp, "eve@example.org"))
    assert bounces(site, "--maildir", str(folder)) == (
        "mail-bounces: read 1, hard 0, soft 0, complaints 1, unreadable 0"
    )
    assert mail_status(site, "eve@example.org") == ("complained", False)
    site.config["CONFIRMATION_REMINDER_HOURS"] = 0
    run_worker(site)
    assert len(sent_to(mail_server, "eve@example.org")) == 1  # no reminder
    assert sign(client, email="eve@example.org").status_code == 303  # asks for its link again
    run_worker(site)
    assert len(sent_to(mail_server, "eve@example.org")) == 2
    assert mail_status(site, "eve@example.org")[0] == "complained"


def test_the_csv_export_and_the_dashboard_show_mail_status(site, tmp_path, admin_client):
    for address in ("a@example.org", "b@example.org", "c@example.org"):
        assert sign(admin_client, email=address).status_code == 303
    folder = maildir(
        tmp_path,
        dsn("postmaster@example.org", "a@example.org", "5.1.1"),
        arf("bounces@example.org", "b@example.org"),
    )
    bounces(site, "--maildir", str(folder))
    body = admin_client.get("/admin/signatures.csv?status=all").get_data(as_text=True)
    header, *rows = body.lstrip("\ufeff").splitlines()
    assert header.split(",")[-1] == "mail_status"
    assert sorted(row.rsplit(",", 1)[1] for row in rows) == ["bounced", "complained", "ok"]
    page = admin_client.get("/admin/signatures").get_data(as_text=True)
    assert re.search(r"<dt>Mail bounced</dt><dd>1</dd>", page)
    assert re.search(r"<dt>Complained of our mail</dt><dd>1</dd>", page)


@pytest.mark.slow
def test_reports_are_read_over_imap_and_moved_to_processed(site, mail_server, tmp_path):
    if dovecot_binary() is None:
        pytest.skip("dovecot is not installed (make tools)")
    assert sign(site.test_client(), email="ada@example.org").status_code == 303
    site.config["CONFIRMATION_REMINDER_HOURS"] = 1
    run_worker(site)
    [verp] = sent_to(mail_server, "ada@example.org")
    server = ImapServer(tmp_path / "dovecot")
    server.start()
    try:
        server.deliver(dsn(verp, "ada@example.org", "5.1.1"))
        server.deliver(b"Subject: not a report\r\n\r\nhello\r\n")
        assert bounces(site, "--imap", server.url()) == (
            "mail-bounces: read 2, hard 1, soft 0, complaints 0, unreadable 1"
        )
        assert server.count("INBOX") == (1, 0)  # the unreadable one, kept unseen
        assert server.count("Processed") == (1, 1)
        assert bounces(site, "--imap", server.url()) == (
            "mail-bounces: read 1, hard 0, soft 0, complaints 0, unreadable 1"
        )
        assert server.count("Processed") == (1, 1)
    finally:
        server.stop()
    assert mail_status(site, "ada@example.org")[0] == "bounced"
