"""Production refuses unsafe settings; development and tests start with safe defaults."""

import base64

import pytest

from campaign_site import create_app
from campaign_site.config import DEV_SECRET_KEY, TEST_DATA_ENCRYPTION_KEY
from campaign_site.crypto.keyrings import new_key

REAL_KEY = "k" * 48
POSTGRES = "postgresql+psycopg://campaign@db.internal/campaign"


@pytest.fixture(autouse=True)
def keys_in_env(monkeypatch):
    """Keys for every app made here, so no test writes development keys into instance/."""
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", new_key())
    monkeypatch.setenv("BLIND_INDEX_KEY", new_key())


@pytest.fixture
def production_env(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", REAL_KEY)
    monkeypatch.setenv("DATABASE_URL", POSTGRES)
    monkeypatch.setenv("PUBLIC_URL", "https://petition.example.org")
    monkeypatch.setenv("MAIL_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("DISCREET_MAIL_SENDER", "Notifications <noreply@notes.example.net>")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379")
    return monkeypatch


def test_production_starts_with_real_settings(production_env):
    app = create_app()
    assert app.config["PRODUCTION"] is True
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.debug is False
    assert app.config["SQLALCHEMY_DATABASE_URI"] == POSTGRES


@pytest.mark.parametrize("secret", [None, DEV_SECRET_KEY, "short"])
def test_production_refuses_a_missing_development_or_weak_secret_key(production_env, secret):
    if secret is None:
        production_env.delenv("SECRET_KEY")
    else:
        production_env.setenv("SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_refuses_to_start_without_a_database_url(production_env):
    production_env.delenv("DATABASE_URL")
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        create_app()


@pytest.mark.parametrize("needed", ["PUBLIC_URL", "MAIL_SMTP_HOST", "RATELIMIT_STORAGE_URI"])
def test_production_refuses_to_start_without_the_settings_it_needs(production_env, needed):
    production_env.delenv(needed)
    with pytest.raises(RuntimeError, match=needed):
        create_app()


@pytest.mark.parametrize("setting", ["DATA_ENCRYPTION_KEY", "BLIND_INDEX_KEY"])
def test_production_refuses_to_start_without_encryption_keys(production_env, setting):
    production_env.delenv(setting)
    with pytest.raises(RuntimeError, match=f"{setting} \\(or {setting}_FILE\\) must be set"):
        create_app()


# A fixed truncated key (not new_key() at collection: parallel workers must collect the same ids).
@pytest.mark.parametrize("bad", ["not-a-key", "c2hvcnQ=", "4o8nh44PtSqh170CbnZ94zpwIVUwgpSdQcr-ig"])
def test_a_malformed_key_is_refused_with_a_clear_message(production_env, bad):
    production_env.setenv("DATA_ENCRYPTION_KEY", bad)
    with pytest.raises(
        RuntimeError, match=r"DATA_ENCRYPTION_KEY has a value that is not a key.*flask generate-key"
    ):
        create_app()


def test_production_refuses_the_test_suites_key(production_env):
    production_env.setenv("DATA_ENCRYPTION_KEY", TEST_DATA_ENCRYPTION_KEY)
    with pytest.raises(RuntimeError, match="test suite's DATA_ENCRYPTION_KEY"):
        create_app()


def test_one_key_may_not_serve_both_purposes(production_env):
    key = new_key()
    production_env.setenv("DATA_ENCRYPTION_KEY", key)
    production_env.setenv("BLIND_INDEX_KEY", key)
    with pytest.raises(RuntimeError, match="must be different keys"):
        create_app()


def test_keys_can_come_from_files_and_hold_old_keys_after_the_current(production_env, tmp_path):
    current, old = new_key(), new_key()
    key_file = tmp_path / "data.key"
    key_file.write_text(f"# current first\n{current}\n{old}\n")
    production_env.delenv("DATA_ENCRYPTION_KEY")
    production_env.setenv("DATA_ENCRYPTION_KEY_FILE", str(key_file))
    app = create_app()
    keyring = app.extensions["keyrings"]["DATA_ENCRYPTION_KEY"]
    assert [base64.urlsafe_b64encode(key).decode() for key in keyring.keys] == [current, old]


def test_campaign_close_must_be_a_date(monkeypatch):
    monkeypatch.setenv("PETITION_CLOSES_AT", "next tuesday")
    with pytest.raises(RuntimeError, match="PETITION_CLOSES_AT"):
        create_app()


def test_production_refuses_debug(production_env):
    production_env.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="debug"):
        create_app()


@pytest.mark.parametrize("url", ["postgres://u@h/db", "postgresql://u@h/db"])
def test_plain_postgres_urls_use_the_installed_psycopg_driver(production_env, url):
    production_env.setenv("DATABASE_URL", url)
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_development_defaults_to_sqlite_in_the_instance_folder(monkeypatch):
    for name in ["APP_ENV", "DATABASE_URL", "SECRET_KEY"]:
        monkeypatch.delenv(name, raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///campaign.db"
    assert app.config["PRODUCTION"] is False


def test_unknown_app_env_is_refused(monkeypatch):
    monkeypatch.setenv("APP_ENV", "staging-ish")
    with pytest.raises(RuntimeError, match="APP_ENV"):
        create_app()


def test_goal_must_be_a_number(monkeypatch):
    monkeypatch.setenv("SIGNATURE_GOAL", "lots")
    with pytest.raises(RuntimeError, match="SIGNATURE_GOAL"):
        create_app()


def test_production_refuses_per_process_rate_limits(production_env):
    """With memory:// five workers let five times the limit through."""
    production_env.setenv("RATELIMIT_STORAGE_URI", "memory://")
    with pytest.raises(RuntimeError, match=r"RATELIMIT_STORAGE_URI.*each limit multiplies"):
        create_app()


def test_production_refuses_rate_limits_switched_off(production_env):
    """Admin lockout and every limit live in the shared store: off is not an option."""
    production_env.setenv("RATELIMIT_ENABLED", "false")
    with pytest.raises(RuntimeError, match="RATELIMIT_ENABLED"):
        create_app()


def test_production_refuses_to_start_without_a_discreet_sender(production_env):
    """Supporters in Russia and Belarus must never get mail that names the campaign."""
    production_env.delenv("DISCREET_MAIL_SENDER")
    with pytest.raises(RuntimeError, match="DISCREET_MAIL_SENDER"):
        create_app()


def test_production_refuses_a_discreet_sender_that_is_the_campaigns_own(production_env):
    production_env.setenv("MAIL_SENDER", "Justice for Sergei <petition@example.org>")
    production_env.setenv("DISCREET_MAIL_SENDER", "Notifications <Petition@example.org>")
    with pytest.raises(RuntimeError, match="DISCREET_MAIL_SENDER"):
        create_app()


def test_the_neutral_link_host_is_a_trusted_host(production_env):
    production_env.setenv("DISCREET_LINK_URL", "https://notes.example.net")
    app = create_app()
    assert app.config["TRUSTED_HOSTS"][:2] == ["petition.example.org", "notes.example.net"]


def test_the_dns_timeout_must_be_a_number(monkeypatch):
    monkeypatch.setenv("DNS_TIMEOUT_SECONDS", "two")
    with pytest.raises(RuntimeError, match="DNS_TIMEOUT_SECONDS must be a number"):
        create_app()
