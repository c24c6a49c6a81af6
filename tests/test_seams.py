"""Each speed trick leans on a library's behaviour; these fail if that behaviour changes.

The tricks (and their measured gains, benchmarks/RESULTS.md): Flask-Limiter's before-request hook removed
(web/rate_limits.py), the session serializer built once (web/sessions.py), and the export
reading plain rows from the DB-API cursor (database.raw_rows).
"""

from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from sqlalchemy import select
from support import sign

from campaign_site.database import raw_rows
from campaign_site.export import utc_text
from campaign_site.extensions import db
from campaign_site.models import Signature, SignatureStatus


def test_flask_limiters_request_hook_is_gone_and_view_limits_still_hold(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, SIGN_RATE_LIMIT="1 per minute")
    hooks = app.before_request_funcs.get(None, [])
    assert not [hook for hook in hooks if isinstance(getattr(hook, "__self__", None), Limiter)]
    client = app.test_client()
    assert sign(client, email="one@example.org").status_code == 303
    assert sign(client, email="two@example.org").status_code == 429


def test_session_cookies_are_interchangeable_with_flasks_own(app):
    ours, stock = app.session_interface, SecureCookieSessionInterface()
    assert type(ours) is not SecureCookieSessionInterface
    assert ours.get_signing_serializer(app) is ours.get_signing_serializer(app)  # built once
    for writer, reader in ((ours, stock), (stock, ours)):
        cookie = writer.get_signing_serializer(app).dumps({"csrf_token": "abc"})
        assert reader.get_signing_serializer(app).loads(cookie) == {"csrf_token": "abc"}


def test_a_new_secret_key_builds_a_new_session_serializer(app):
    before = app.session_interface.get_signing_serializer(app)
    cookie = before.dumps({"x": 1})
    app.secret_key = app.config["SECRET_KEY"] = "another-secret-key-for-this-test"
    after = app.session_interface.get_signing_serializer(app)
    assert after is not before
    assert SecureCookieSessionInterface().get_signing_serializer(app).dumps({"x": 1}) != cookie


def test_raw_rows_match_what_sqlalchemy_returns(app, client):
    for n in range(3):
        sign(client, email=f"raw{n}@example.org")
    statement = (
        select(Signature.id, Signature.status, utc_text(Signature.signed_at), Signature.identity)
        .where(Signature.status == SignatureStatus.PENDING)
        .order_by(Signature.id)
    )
    with app.app_context():
        expected = [tuple(row) for row in db.session.execute(statement)]
        batches = list(raw_rows(db.session, statement, batch_size=2))
        db.session.rollback()
    assert [len(batch) for batch in batches] == [2, 1]
    rows = [row for batch in batches for row in batch]
    assert [(r[0], r[1], r[2][:19], bytes(r[3])) for r in rows] == [
        (e[0], e[1], e[2][:19], bytes(e[3])) for e in expected
    ]
