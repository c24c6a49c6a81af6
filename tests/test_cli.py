"""`flask create-admin EMAIL` creates an admin or resets their password."""

from sqlalchemy import func, select

from campaign_site.extensions import db
from campaign_site.models import AdminUser
from support import csrf_token_from


def _can_log_in(app, email, password):
    client = app.test_client()
    token = csrf_token_from(client.get("/admin/login").get_data(as_text=True))
    response = client.post("/admin/login", data={"email": email, "password": password, "csrf_token": token})
    return response.status_code == 303


def _admin_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(AdminUser.id)))


def test_create_admin_reads_a_piped_password(app, runner):
    result = runner.invoke(args=["create-admin", "Boss@Example.org"], input="a long enough secret\n")
    assert result.exit_code == 0, result.output
    assert "Created admin boss@example.org." in result.output
    assert _can_log_in(app, "boss@example.org", "a long enough secret")
    with app.app_context():
        stored = db.session.scalar(select(AdminUser.password_hash))
    assert "a long enough secret" not in stored


def test_create_admin_again_resets_the_password(app, runner):
    runner.invoke(args=["create-admin", "boss@example.org"], input="the first password\n")
    result = runner.invoke(args=["create-admin", "boss@example.org"], input="the second password\n")
    assert result.exit_code == 0
    assert "New password set for admin boss@example.org." in result.output
    assert _admin_count(app) == 1
    assert not _can_log_in(app, "boss@example.org", "the first password")
    assert _can_log_in(app, "boss@example.org", "the second password")


def test_create_admin_refuses_a_short_password(app, runner):
    result = runner.invoke(args=["create-admin", "boss@example.org"], input="short\n")
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert _admin_count(app) == 0


def test_create_admin_refuses_an_invalid_email(app, runner):
    result = runner.invoke(args=["create-admin", "not-an-email"], input="a long enough secret\n")
    assert result.exit_code != 0
    assert "Invalid value for EMAIL" in result.output
    assert _admin_count(app) == 0
