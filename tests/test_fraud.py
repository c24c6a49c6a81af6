"""Fraud handling through the admin pages, the form and the CLI: signals stored only as
keyed hashes, trending, a dry run that counts exactly what is then invalidated, the count
and the tally that follow it both ways, no mail to an invalidated signer, the audit log,
the review queue, and the count invariant on both databases."""

import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from support import (
    VALID_SIGNATURE,
    confirm_pending,
    csrf_token_from,
    form_fields,
    hidden_fields,
    run_worker,
)

from campaign_site.extensions import db
from campaign_site.models import AdminAudit, OutboxMessage, Signature, SignatureTally, utcnow
from campaign_site.petition.counting import signature_count

BURST = "burst-domain.example"


def sign_from(app, email: str, ip: str = "192.0.2.1", confirm: bool = True, **fields):
    client = app.test_client()
    form = {**VALID_SIGNATURE, **form_fields(client), "email": email, **fields}
    response = client.post("/sign", data=form, environ_base={"REMOTE_ADDR": ip})
    assert response.status_code == 303, response.status_code
    if confirm:
        confirm_pending(app, client)


def burst(app, n: int = 15, ip: str = "203.0.113.7") -> None:
    for i in range(n):
        sign_from(app, f"person{i}@{BURST}", ip=ip)


def check(admin, **criteria):
    """The dry run through the form; returns the page."""
    token = csrf_token_from(admin.get("/admin/fraud").get_data(as_text=True))
    data = {"action": "invalidate", **criteria, "csrf_token": token}
    return admin.post("/admin/fraud/check", data=data)


def matches(page: str) -> dict[str, int]:
    rows = re.findall(
        r"<tr><td>(pending|confirmed|invalidated)</td><td class=\"num\">([\d,]+)</td>", page
    )
    return {status: int(number.replace(",", "")) for status, number in rows}


def apply(admin, page: str, reason: str = "a catch-all domain", **extra):
    form = re.search(
        r'<form method="post" action="/admin/fraud/apply"[^>]*>(.*?)</form>', page, re.S
    )
    assert form, "no confirmation form"
    return admin.post(
        "/admin/fraud/apply", data={**hidden_fields(form.group(1)), "reason": reason, **extra}
    )


def confirmed_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(Signature.status == "confirmed"))


def invariant(app) -> tuple[int, int, int]:
    """(count shards, confirmed rows, tally's confirmed): always equal."""
    with app.app_context():
        tally = db.session.scalar(select(func.coalesce(func.sum(SignatureTally.confirmed), 0)))
        return signature_count(), confirmed_rows(app), int(tally)


def test_signals_are_stored_as_keyed_hashes_never_as_addresses(app, migrated_database_url, backend):
    sign_from(app, f"someone@{BURST}", ip="203.0.113.77")
    sign_from(app, "other@example.org", ip="2001:db8:abcd:12::1")
    with app.app_context():
        rows = db.session.execute(select(Signature.network_hash, Signature.domain_hash)).all()
    assert all(len(network) == 36 and len(domain) == 36 for network, domain in rows)
    assert rows[0].network_hash != rows[1].network_hash
    if backend == "sqlite":
        path = migrated_database_url.removeprefix("sqlite:///")
        with app.app_context():
            db.session.execute(db.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        raw = b"".join(
            Path(name).read_bytes() for name in (path, path + "-wal") if Path(name).exists()
        )
    else:
        url = migrated_database_url.replace("postgresql+psycopg://", "postgresql://")
        raw = subprocess.run(
            ["pg_dump", "--data-only", url], capture_output=True, check=True
        ).stdout
    for clear in (b"203.0.113", b"2001:db8", BURST.encode(), b"example.org"):
        assert clear not in raw, clear


def test_a_burst_from_one_domain_is_listed_and_flagged_as_catch_all(app, admin_client):
    burst(app, 15)
    sign_from(app, "friend@gmail.com")
    page = admin_client.get("/admin/fraud").get_data(as_text=True)
    assert f"<td>{BURST}</td>" in page
    assert "Catch-all pattern" in page
    dashboard = admin_client.get("/admin/").get_data(as_text=True)
    assert f"domain {BURST}, 15 signatures in the last hour" in dashboard


def test_dry_run_counts_what_is_then_invalidated_and_revalidation_brings_it_back(app, admin_client):
    burst(app, 15)
    sign_from(app, "honest@example.org")
    sign_from(app, f"late@{BURST}", confirm=False)  # pending: invalidated too, never counted
    assert invariant(app) == (16, 16, 16)

    page = check(admin_client, domain=BURST).get_data(as_text=True)
    assert matches(page) == {"pending": 1, "confirmed": 15, "invalidated": 0}
    assert "Invalidate 16 signatures" in page
    assert apply(admin_client, page).status_code == 303
    assert invariant(app) == (1, 1, 1)
    assert admin_client.get("/api/count").get_json()["count"] in (1, 16)  # cached up to 2 s

    page = check(admin_client, domain=BURST, action="revalidate").get_data(as_text=True)
    assert matches(page)["invalidated"] == 16
    assert apply(admin_client, page, reason="a university, after all").status_code == 303
    assert invariant(app) == (16, 16, 16)
    with app.app_context():
        from campaign_site.crypto.signal_hashes import domain_hashes, reference

        details = db.session.scalars(
            select(AdminAudit.detail)
            .where(AdminAudit.action.like("signatures %"))
            .order_by(AdminAudit.id)
        ).all()
        ref = "#" + reference(domain_hashes(BURST)[0])  # the log names no domain, only its hash
    assert details == [
        f"16 invalidated; criteria: domain={ref}; reason: a catch-all domain",
        f"16 revalidated; criteria: domain={ref}; reason: a university, after all",
    ]
    assert BURST not in " ".join(details)


def test_signatures_arriving_after_the_dry_run_are_not_swept_in(app, admin_client):
    burst(app, 3)
    page = check(admin_client, domain=BURST).get_data(as_text=True)
    sign_from(app, f"after@{BURST}")
    apply(admin_client, page)
    assert invariant(app) == (1, 1, 1)


def test_networks_match_by_address_or_cidr_and_bad_ones_are_refused(app, admin_client):
    burst(app, 3, ip="203.0.113.7")
    sign_from(app, "v6@example.org", ip="2001:db8:abcd:12::1")
    sign_from(app, "elsewhere@example.org", ip="198.51.100.9")
    for network, expected in [
        ("203.0.113.200", 3),
        ("203.0.113.0/24", 3),
        ("203.0.0.0/16", 3),
        ("2001:db8:abcd::/48", 1),
    ]:
        assert (
            matches(check(admin_client, network=network).get_data(as_text=True))["confirmed"]
            == expected
        )
    for network, message in [
        ("203.0.113.0/33", "not an IP address or a network"),
        ("not-a-network", "not an IP address or a network"),
        ("203.0.113.0/28", "keeps only /24 networks"),
        ("10.0.0.0/8", "too wide"),
    ]:
        response = check(admin_client, network=network)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    response = check(admin_client, since="2026-03-14T18:30", until="2026-03-14T18:00")
    assert response.status_code == 422 and "The window ends before it starts" in response.get_data(
        as_text=True
    )
    assert invariant(app) == (5, 5, 5)


def test_no_criteria_match_everything_and_need_the_number_typed(app, admin_client):
    burst(app, 4)
    page = check(admin_client).get_data(as_text=True)
    assert "type the number of matches" in page
    refused = apply(admin_client, page)
    assert refused.status_code == 422 and "type 4 to go ahead" in refused.get_data(as_text=True)
    assert invariant(app) == (4, 4, 4)
    assert apply(admin_client, page, typed_count="4").status_code == 303
    assert invariant(app) == (0, 0, 0)


@pytest.fixture
def mail_site(app_factory, mail_server):
    from support import log_in

    app = app_factory(**mail_server.settings())
    runner = app.test_cli_runner()
    assert (
        runner.invoke(
            args=["create-admin", "owner@example.org"], input="pw-correct horse battery\n"
        ).exit_code
        == 0
    )
    admin = app.test_client()
    assert log_in(admin, "owner@example.org", "pw-correct horse battery").status_code == 303
    return app, admin


def test_invalidated_signers_get_no_mail_and_show_as_invalidated_in_the_csv(mail_site, mail_server):
    app, admin = mail_site
    sign_from(app, f"waiting@{BURST}", confirm=False)  # its confirmation mail is queued
    sign_from(app, "honest@example.org")
    page = check(admin, domain=BURST).get_data(as_text=True)
    apply(admin, page)
    with app.app_context():
        queued = db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .join(Signature)
            .where(OutboxMessage.sent_at.is_(None), Signature.status == "invalidated")
        )
    sign_from(app, f"waiting@{BURST}", confirm=False)  # signing again asks for a reminder
    run_worker(app)
    assert all(f"waiting@{BURST}" not in rcpt for rcpt in mail_server.inbox.recipients)
    assert ["honest@example.org"] in mail_server.inbox.recipients
    csv = admin.get("/admin/signatures.csv?status=all").get_data(as_text=True)
    lines = [line for line in csv.splitlines() if ",invalidated," in line]
    assert len(lines) == 1
    assert queued == 0  # the confirmation waiting for it was dropped with the invalidation


def test_the_review_queue_accepts_or_invalidates_in_batches(app, admin_client):
    burst(app, 6)
    with app.app_context():
        ids = db.session.scalars(select(Signature.id).order_by(Signature.id)).all()
        db.session.execute(
            update(Signature).where(Signature.id.in_(ids[:4])).values(review_marks="busy_address")
        )
        db.session.commit()
    page = admin_client.get("/admin/review").get_data(as_text=True)
    assert "4 signatures carry a review mark" in page
    token = csrf_token_from(page)
    refused = admin_client.post(
        "/admin/review", data={"csrf_token": token, "decision": "accept", "reason": "ok"}
    )
    assert refused.status_code == 422 and "Tick at least one signature" in refused.get_data(
        as_text=True
    )
    admin_client.post(
        "/admin/review",
        data={
            "csrf_token": token,
            "ids": [ids[0], ids[1]],
            "decision": "accept",
            "reason": "a family",
        },
    )
    admin_client.post(
        "/admin/review",
        data={"csrf_token": token, "ids": [ids[2]], "decision": "invalidate", "reason": "a script"},
    )
    assert "1 signature carries a review mark" in admin_client.get("/admin/review").get_data(
        as_text=True
    )
    assert invariant(app) == (5, 5, 5)
    # The same by mark, through the dry run: one left with the mark.
    assert (
        matches(check(admin_client, mark="busy_address").get_data(as_text=True))["confirmed"] == 1
    )


def test_network_hashes_are_forgotten_after_the_retention_period(app):
    burst(app, 2)
    with app.app_context():
        old = utcnow() - timedelta(days=31)
        first = db.session.scalars(select(Signature.id).order_by(Signature.id)).first()
        db.session.execute(update(Signature).where(Signature.id == first).values(signed_at=old))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["purge-pending"])
    assert "Forgot the network of 1 older signatures." in result.output
    with app.app_context():
        kept = db.session.execute(
            select(Signature.id, Signature.network_hash).order_by(Signature.id)
        ).all()
    assert kept[0].network_hash is None and kept[1].network_hash is not None


def test_rotate_keys_makes_the_domain_hash_of_older_signatures(app):
    burst(app, 2)
    with app.app_context():
        db.session.execute(update(Signature).values(domain_hash=None))
        db.session.commit()
    assert app.test_cli_runner().invoke(args=["rotate-keys"]).exit_code == 0
    with app.app_context():
        hashes = db.session.scalars(select(Signature.domain_hash)).all()
    assert len(hashes) == 2 and hashes[0] == hashes[1] and len(hashes[0]) == 36


def test_an_ipv4_client_seen_as_ipv6_mapped_is_its_ipv4_network(app, admin_client):
    sign_from(app, "mapped@example.org", ip="::ffff:203.0.113.7")
    sign_from(app, "plain@example.org", ip="203.0.113.8")
    sign_from(app, "other@example.org", ip="::ffff:198.51.100.1")
    page = check(admin_client, network="203.0.113.0/24").get_data(as_text=True)
    assert matches(page)["confirmed"] == 2


def test_a_small_domain_is_not_named_on_the_fraud_page(app, admin_client):
    sign_from(app, "the-only-one@tiny-private.example")
    page = admin_client.get("/admin/fraud").get_data(as_text=True)
    assert "tiny-private.example" not in page
    assert re.search(r"<td>domain #[0-9a-f]{12}</td>", page)


def test_withdrawing_or_confirming_an_invalidated_signature_keeps_the_counts_true(
    app, admin_client
):
    from campaign_site.petition import link_tokens

    burst(app, 3)
    sign_from(app, f"pending@{BURST}", confirm=False)
    apply(admin_client, check(admin_client, domain=BURST).get_data(as_text=True))
    assert invariant(app) == (0, 0, 0)
    with app.app_context():
        rows = db.session.scalars(select(Signature).order_by(Signature.id)).all()
        withdraw = link_tokens.make_token(rows[0], link_tokens.WITHDRAW)
        confirm = link_tokens.make_token(rows[3], link_tokens.CONFIRM)
    assert app.test_client().post(f"/withdraw/{withdraw}").status_code == 200
    assert app.test_client().get(f"/confirm/{confirm}").status_code == 200  # proven meanwhile
    page = check(admin_client, domain=BURST, action="revalidate").get_data(as_text=True)
    assert matches(page)["invalidated"] == 3
    apply(admin_client, page, reason="a mistake")
    assert invariant(app) == (3, 3, 3)  # two confirmed back, and the one proven while out
    with app.app_context():
        signed = db.session.scalar(select(func.sum(SignatureTally.signed)))
    assert signed == 3


def test_a_run_cut_short_by_its_time_limit_goes_on_where_it_stopped(app):
    from campaign_site.petition import invalidation

    burst(app, 5)
    with app.app_context():
        criteria = invalidation.Criteria(domain=BURST)
        up_to = invalidation.highest_id()
        assert invalidation.invalidate(criteria, up_to, batch_size=2, seconds=0) == 2
        assert invalidation.invalidate(criteria, up_to, batch_size=2, seconds=0) == 2
        assert invalidation.invalidate(criteria, up_to, batch_size=2) == 1
    assert invariant(app) == (0, 0, 0)


def test_a_sources_normal_rate_is_its_week_before_in_the_tally(app, admin_client):
    """Sources are links organisers hand out: each is weighed against its own week before,
    read from the hourly tally (here 336 signatures two days ago: 2.0 an hour)."""
    from campaign_site.petition.tallies import hour_of

    with app.app_context():
        db.session.add(
            SignatureTally(
                hour=hour_of(utcnow() - timedelta(days=2)),
                source="newsletter",
                country="DE",
                language="de",
                signed=336,
                confirmed=336,
                informed=0,
                repeats=0,
            )
        )
        db.session.commit()
    for n in range(3):
        sign_from(app, f"reader{n}@example.org", source="newsletter")

    page = admin_client.get("/admin/fraud").get_data(as_text=True)

    cells = r'<td>newsletter</td>\s*<td class="num">3</td>\s*<td class="num">([\d.]+)</td>\s*<td class="num">([\d.]+)</td>'
    assert re.findall(cells, page) == [("3.0", "2.0"), ("0.1", "2.0")]  # last hour, last day
