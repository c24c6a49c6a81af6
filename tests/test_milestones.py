"""Milestones from the content file (tests/content/campaign.toml: 3 and 100,000): the
page shows the next one beside the count, and those reached with the day the count passed
them, a day recorded once that never moves."""

from datetime import date

from flask_babel import format_date
from support import sign_and_confirm, withdraw, withdraw_link

from campaign_site.extensions import db
from campaign_site.models import MilestoneReached, utcnow

FIRST = "At 3 signatures we read the petition aloud (a test value)."
SECOND = "At 100,000 signatures we hand the petition to the Test Assembly (a test value)."


def reached_days(app) -> dict[int, date]:
    with app.app_context():
        rows = db.session.scalars(db.select(MilestoneReached)).all()
        days = {row.signatures: row.reached_on for row in rows}
        db.session.rollback()
    return days


def test_the_next_milestone_stands_beside_the_count_until_it_is_reached(app):
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    assert f"Next milestone:</strong> {FIRST}" in html
    assert "Reached on" not in html
    for number in range(3):
        sign_and_confirm(app, app.test_client(), email=f"s{number}@example.org")
    html = client.get("/").get_data(as_text=True)
    with app.test_request_context():
        today = format_date(utcnow().date(), "long")
    assert f"Reached on {today}:</span> {FIRST}" in html
    assert f"Next milestone:</strong> {SECOND}" in html
    assert reached_days(app) == {3: utcnow().date()}


def test_the_day_a_milestone_was_reached_never_moves(app):
    for number in range(3):
        sign_and_confirm(app, app.test_client(), email=f"s{number}@example.org")
    app.test_client().get("/")
    with app.app_context():  # as if it had been reached long ago
        db.session.get(MilestoneReached, 3).reached_on = date(2026, 2, 1)
        db.session.commit()
    client = app.test_client()
    withdraw(client, withdraw_link(app, "s0@example.org"))  # the count falls below 3
    assert client.get("/api/count").get_json()["count"] == 2
    html = client.get("/").get_data(as_text=True)
    assert f"Reached on February 1, 2026:</span> {FIRST}" in html
    assert "1. Februar 2026" in client.get("/de/").get_data(as_text=True)
    assert reached_days(app) == {3: date(2026, 2, 1)}
