"""`flask create-admin EMAIL` creates an admin or resets their password."""

from sqlalchemy import func, select
from support import log_in

from campaign_site.extensions import db
from campaign_site.models import AdminUser


def _can_log_in(app, email, password):
    return log_in(app.test_client(), email, password).status_code == 303


def _admin_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(AdminUser.id)))


def test_create_admin_reads_a_piped_password(app, runner):
    result = runner.invoke(
        args=["create-admin", "Boss@Example.org"], input="a long enough secret\n"
    )
    assert result.exit_code == 0, result.output
    assert "Created admin boss@example.org (roles: owner)." in result.output
    assert _can_log_in(app, "boss@example.org", "a long enough secret")
    with app.app_context():
        stored = db.session.scalar(select(AdminUser.password_hash))
    assert "a long enough secret" not in stored


def test_create_admin_again_resets_the_password(app, runner):
    runner.invoke(args=["create-admin", "boss@example.org"], input="the first password\n")
    result = runner.invoke(args=["create-admin", "boss@example.org"], input="the second password\n")
    assert result.exit_code == 0
    assert (
        "New password and second factor set for admin boss@example.org (roles: owner)."
        in result.output
    )
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


def test_admin_passwords_are_hashed_with_scrypt_outside_tests(app_factory):
    """The tests use a cheap hash for speed; every real deployment gets scrypt."""
    from campaign_site.config import Config, ProductionConfig

    assert Config.PASSWORD_HASH_METHOD == ProductionConfig.PASSWORD_HASH_METHOD == "scrypt"
    app = app_factory(PASSWORD_HASH_METHOD="scrypt")
    result = app.test_cli_runner().invoke(
        args=["create-admin", "boss@example.org"], input="a long enough secret\n"
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(AdminUser.password_hash)).startswith("scrypt:")
    assert _can_log_in(app, "boss@example.org", "a long enough secret")
    assert not _can_log_in(app, "boss@example.org", "a wrong secret!!")
