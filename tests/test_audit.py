"""An owner reads what every admin did: pausing, the notice, exports, searches, erasures,
events, paper counts, accounts; filtered and paged, and never a supporter's data. Owners
see the admin accounts with their last login and can end an admin's sessions."""

import email
import email.policy
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, update
from support import confirm_pending, csrf_token_from, log_in, sign

from campaign_site.accounts.audit import Action, record
from campaign_site.extensions import db
from campaign_site.models import AdminAudit, AdminUser, Signature

PASSWORD = "correct horse battery staple"


def create_admin(app, address: str, *roles: str):
    args = ["create-admin", address, *[f"--role={role}" for role in roles]]
    result = app.test_cli_runner().invoke(args=args, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    return result


def logged_in(app, address: str):
    client = app.test_client()
    assert log_in(client, address, PASSWORD).status_code == 303
    return client


def token(client) -> str:
    return csrf_token_from(client.get("/admin/").get_data(as_text=True))


def audit_rows(app, logins: bool = False) -> list[tuple[str, str, str]]:
    """(admin, action, detail), oldest first; the tests' own logins left out unless asked."""
    with app.app_context():
        rows = db.session.execute(
            db.select(AdminAudit.admin_email, AdminAudit.action, AdminAudit.detail).order_by(
                AdminAudit.id
            )
        ).all()
        db.session.rollback()
    return [tuple(row) for row in rows if logins or row[1] != "login"]


def actions(app) -> list[str]:
    return [action for _, action, _ in audit_rows(app)]


def mails(folder: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(folder.glob("*.eml"))
    ]


@pytest.fixture
def owner_app(app_factory, tmp_path):
    """The app with an owner (owner@) logged in; admin alerts land in tmp_path/mail."""
    app = app_factory(MAIL_OUTBOX_DIR=str(tmp_path / "mail"))
    create_admin(app, "owner@example.org")
    return app


def test_create_admin_is_audited_without_a_password_or_secret(owner_app):
    create_admin(owner_app, "helper@example.org", "organiser")
    rows = [row for row in audit_rows(owner_app) if row[1] == Action.ACCOUNT_CHANGED]
    assert [detail for _, _, detail in rows] == [
        "create-admin: created admin owner@example.org, roles owner",
        "create-admin: created admin helper@example.org, roles organiser",
    ]
    assert all(PASSWORD not in detail and "otpauth" not in detail for _, _, detail in rows)


def test_pausing_resuming_and_the_site_notice_are_audited(owner_app):
    client = logged_in(owner_app, "owner@example.org")
    for action in ("pause", "resume"):
        client.post("/admin/signing", data={"action": action, "csrf_token": token(client)})
    client.post("/admin/notice", data={"en": "Mail is slow today.", "csrf_token": token(client)})
    assert [row for row in audit_rows(owner_app) if row[1] != Action.ACCOUNT_CHANGED] == [
        ("owner@example.org", "signing paused", ""),
        ("owner@example.org", "signing resumed", ""),
        ("owner@example.org", "site notice changed", "set"),
    ]


def test_searches_exports_and_erasure_are_audited_without_the_supporters_data(owner_app):
    supporter = owner_app.test_client()
    sign(supporter, given_name="Ada", family_name="Lovelace", email="ada@example.org")
    confirm_pending(owner_app, supporter)
    client = logged_in(owner_app, "owner@example.org")
    for address in ("ada@example.org", "nobody@example.org"):
        client.post("/admin/find", data={"email": address, "csrf_token": token(client)})
    client.get("/admin/signatures.csv?status=all").get_data()
    client.get("/admin/delivery?names=yes")
    with owner_app.app_context():
        signature_id = db.session.scalar(db.select(Signature.id))
    client.post(
        f"/admin/signatures/{signature_id}/erase",
        data={"confirm": "yes", "csrf_token": token(client)},
    )
    rows = [row for row in audit_rows(owner_app) if row[1] != Action.ACCOUNT_CHANGED]
    assert [(action, detail) for _, action, detail in rows][:5] == [
        ("search by email", "found"),
        ("search by email", "not found"),
        ("export csv", "csv:all, about 1 rows"),
        ("export csv finished", "csv:all"),
        ("export delivery pack with names", "delivery:names, about 0 rows"),
    ]
    assert rows[5][1] == "erasure"
    stored = repr(audit_rows(owner_app))
    for personal in ("ada@example.org", "nobody@example.org", "Ada", "Lovelace", "London"):
        assert personal not in stored


def test_events_and_paper_counts_are_audited(owner_app):
    client = logged_in(owner_app, "owner@example.org")
    client.post(
        "/admin/events",
        data={
            "title": "Screening",
            "city": "Berlin",
            "starts_on": "2030-05-01",
            "film": "justice",
            "language": "de",
            "csrf_token": token(client),
        },
    )
    client.post(
        "/admin/paper",
        data={"event": "", "country": "DE", "signatures": "40", "csrf_token": token(client)},
    )
    assert Action.EVENT_CREATED in actions(owner_app)
    assert ("owner@example.org", "paper count entered", "+40 for DE") in audit_rows(owner_app)


def test_only_owners_read_the_audit_log(owner_app):
    create_admin(owner_app, "exporter@example.org", "exporter", "organiser")
    assert logged_in(owner_app, "exporter@example.org").get("/admin/audit").status_code == 403
    page = logged_in(owner_app, "owner@example.org").get("/admin/audit")
    assert page.status_code == 200 and "create-admin: created admin exporter" in page.text


TYPED_SENTENCE = "owner@example.org exported ALL signatures to evil.example"


def test_a_failed_login_writes_no_typed_text_into_the_audit_log(owner_app):
    """Only an account's own address, or a fixed word, ever stands under Admin."""
    client = owner_app.test_client()
    for typed in (TYPED_SENTENCE, "Tr0ub4dor&3-typed-in-the-wrong-field", "OWNER@example.org"):
        assert log_in(client, typed, "wrong password").status_code == 422
    failed = [row for row in audit_rows(owner_app, logins=True) if row[1] == "login failed"]
    assert [admin for admin, _, _ in failed] == [
        "(no such account)",
        "(no such account)",
        "owner@example.org",
    ]
    page = logged_in(owner_app, "owner@example.org").get("/admin/audit").text
    assert "evil.example" not in page and "Tr0ub4dor" not in page


def test_login_counters_in_redis_are_keyed_by_a_hash_not_the_typed_text(app_factory, redis_url):
    import redis

    prefix = f"test-{uuid.uuid4().hex}"
    app = app_factory(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_KEY_PREFIX=prefix
    )
    client = app.test_client()
    assert log_in(client, TYPED_SENTENCE, "wrong password").status_code == 422
    store = redis.Redis.from_url(redis_url)
    keys = [key.decode() for key in store.scan_iter(f"*{prefix}*")]
    try:
        assert any("admin-login" in key for key in keys)  # the counters were written
        assert not [key for key in keys if "evil" in key or "exported" in key]
    finally:
        if keys:
            store.delete(*keys)


def test_the_audit_log_filters_by_action_admin_and_dates_newest_first(owner_app):
    with owner_app.test_request_context():
        db.session.execute(delete(AdminAudit))  # the fixture's own logins
        record(Action.LOGIN, "", admin_email="a@example.org")
        record(Action.SIGNING_PAUSED, "", admin_email="a@example.org")
        record(Action.SIGNING_RESUMED, "", admin_email="b@example.org")
        db.session.execute(
            update(AdminAudit)
            .where(AdminAudit.action == "login")
            .values(at=datetime(2020, 1, 15, 12, tzinfo=UTC))
        )
        db.session.commit()
    client = logged_in(owner_app, "owner@example.org")
    html = client.get("/admin/audit").text
    resumed, paused, login = "<td>signing resumed</td>", "<td>signing paused</td>", "<td>login</td>"
    assert html.index(resumed) < html.index(paused) < html.rindex(login)  # oldest: 2020
    only_a = client.get("/admin/audit?admin=A@example.org").text
    assert paused in only_a and resumed not in only_a
    assert paused not in client.get("/admin/audit?action=signing+resumed").text
    january = client.get("/admin/audit?since=2020-01-01&until=2020-01-31").text
    assert login in january and paused not in january
    today = datetime.now(UTC).date()
    recent = client.get(f"/admin/audit?since={today - timedelta(days=1)}&admin=a@example.org").text
    assert login not in recent and paused in recent


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=2025-13-01", "Enter a date as YYYY-MM-DD"),
        ("until=yesterday", "Enter a date as YYYY-MM-DD"),
        ("since=2025-03-02&until=2025-03-01", "The end date is before the start date."),
        ("action=drop+table", "There is no such action"),
        ("admin=" + "x" * 300, "Enter an admin&#39;s email address"),
        ("page=0", "The page is a number from 1 on."),
        ("page=abc", "Not a valid integer value"),
        ("page=9", "only 1 page"),
    ],
)
def test_bad_audit_filters_get_a_clear_message(owner_app, query, message):
    response = logged_in(owner_app, "owner@example.org").get(f"/admin/audit?{query}")
    assert response.status_code == 422
    assert message in response.text


def test_the_audit_log_is_paged_a_hundred_at_a_time(owner_app):
    with owner_app.test_request_context():
        for n in range(149):
            record(Action.PARTNER_SNIPPET, f"entry {n}", admin_email="a@example.org")
    client = logged_in(owner_app, "owner@example.org")
    first = client.get("/admin/audit?action=partner+snippet").text
    assert "149 entries, page 1 of 2" in first and "entry 148" in first and "entry 48<" not in first
    assert 'href="/admin/audit?page=2&amp;action=partner+snippet"' in first
    second = client.get("/admin/audit?action=partner+snippet&page=2").text
    assert "entry 48<" in second and "entry 0<" in second and "entry 49<" not in second


def test_owners_see_accounts_roles_and_last_logins(owner_app):
    create_admin(owner_app, "viewer@example.org", "viewer")
    with owner_app.test_request_context():
        record(Action.LOGIN, "", admin_email="viewer@example.org")
    assert logged_in(owner_app, "viewer@example.org").get("/admin/accounts").status_code == 403
    html = logged_in(owner_app, "owner@example.org").get("/admin/accounts").text
    assert "viewer@example.org</td>\n          <td>viewer</td>" in html
    assert "End all sessions" in html


def test_an_owner_ends_another_admins_sessions(owner_app):
    create_admin(owner_app, "exporter@example.org", "exporter")
    exporter = logged_in(owner_app, "exporter@example.org")
    owner = logged_in(owner_app, "owner@example.org")
    with owner_app.app_context():
        target = db.session.scalar(
            db.select(AdminUser.id).where(AdminUser.email == "exporter@example.org")
        )
    assert owner.post("/admin/accounts/end-sessions", data={"admin_id": target}).status_code == 400
    assert exporter.get("/admin/").status_code == 200
    response = owner.post(
        "/admin/accounts/end-sessions", data={"admin_id": target, "csrf_token": token(owner)}
    )
    assert response.status_code == 303
    assert exporter.get("/admin/signatures.csv").status_code == 302  # to the login page
    assert owner.get("/admin/").status_code == 200
    assert ("owner@example.org", "sessions ended", "exporter@example.org") in audit_rows(owner_app)


@pytest.mark.parametrize("admin_id", ["", "abc", "999999"])
def test_ending_sessions_of_no_admin_is_refused_clearly(owner_app, admin_id):
    owner = logged_in(owner_app, "owner@example.org")
    response = owner.post(
        "/admin/accounts/end-sessions", data={"admin_id": admin_id, "csrf_token": token(owner)}
    )
    assert response.status_code == 422 and "No such admin" in response.text
