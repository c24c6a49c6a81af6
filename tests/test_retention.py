"""Data is kept no longer than needed: unconfirmed signatures expire, and after the campaign
closes personal data is anonymised into counts per country and day."""

from datetime import timedelta

from sqlalchemy import select, update
from support import blind_index_of, confirm_pending, sign, stored_signatures

from campaign_site.extensions import db
from campaign_site.models import DailyTally, Signature, utcnow


def _age(app, email, days):
    """Make a signature, and its last email, `days` old."""
    with app.app_context():
        moment = utcnow() - timedelta(days=days)
        db.session.execute(
            update(Signature)
            .where(Signature.mailbox_index == blind_index_of(app, email))
            .values(signed_at=moment, last_emailed_at=moment)
        )
        db.session.commit()


def test_purge_pending_deletes_only_expired_unconfirmed_signatures(app, client, runner):
    sign(client, email="confirmed@example.org")
    confirm_pending(app, client)
    sign(client, email="stale@example.org")
    sign(client, email="fresh@example.org")
    _age(app, "confirmed@example.org", 30)
    _age(app, "stale@example.org", 8)
    _age(app, "fresh@example.org", 6)

    result = runner.invoke(args=["purge-pending"])

    assert result.exit_code == 0
    assert "Deleted 1 unconfirmed signatures." in result.output
    assert sorted(s.email for s in stored_signatures(app)) == [
        "confirmed@example.org",
        "fresh@example.org",
    ]


def test_anonymising_is_refused_before_the_retention_period_ends(app_factory):
    for closes_at in [None, utcnow() - timedelta(days=10)]:
        app = app_factory(PETITION_CLOSES_AT=closes_at)
        result = app.test_cli_runner().invoke(args=["anonymise-signatures"])
        assert result.exit_code == 1
        assert "Error:" in result.output


def test_anonymising_keeps_counts_per_country_and_day_and_erases_everyone(app_factory):
    signing_day = utcnow().date()  # the run may cross midnight UTC: either day is right
    app = app_factory()
    client = app.test_client()
    for n, country in enumerate(["DE", "DE", "UA"]):
        sign(client, email=f"p{n}@example.org", country=country)
    confirm_pending(app, client)
    sign(client, email="pending@example.org", country="FR")
    count_before = client.get("/api/count").get_json()["count"]

    closed = app_factory(
        PETITION_CLOSES_AT=utcnow() - timedelta(days=200), RETENTION_DAYS_AFTER_CLOSE=183
    )
    result = closed.test_cli_runner().invoke(args=["anonymise-signatures"])

    assert result.exit_code == 0, result.output
    assert "Erased the personal data of 4 signatures" in result.output
    assert stored_signatures(app) == []
    assert client.get("/api/count").get_json()["count"] == count_before == 3
    with app.app_context():
        tallies = {(t.country, t.signatures) for t in db.session.scalars(select(DailyTally))}
        days = {t.day for t in db.session.scalars(select(DailyTally))}
    assert tallies == {("DE", 2), ("UA", 1)}
    assert days and days <= {signing_day, utcnow().date()}
