"""Fixtures: every test that touches the database runs on SQLite and on PostgreSQL.

The schema is always built by the migrations, so every run tests them too.
PostgreSQL is skipped only when unreachable outside CI; with CI=true it must be there.
"""

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from mailserver import MailServer
from sqlalchemy import delete, update
from sqlalchemy.engine import make_url
from support import log_in

from campaign_site import create_app
from campaign_site.extensions import db
from campaign_site.models import (
    AdminAudit,
    AdminUser,
    CampaignUpdate,
    CampaignUpdateText,
    ContentVersion,
    DailyTally,
    Event,
    ExportAudit,
    ExportRequest,
    MailPace,
    OutboxMessage,
    PaperCount,
    PartnerOrigin,
    Signature,
    SignatureCountShard,
    SignatureTally,
    SiteSetting,
)

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
# Every app the tests make, and every server they start, runs with the required content
# filled in (made-up values), as production must; tests of the shipped file name it.
TEST_CONTENT_FILE = os.path.join(os.path.dirname(__file__), "content", "campaign.toml")
os.environ["CONTENT_FILE"] = TEST_CONTENT_FILE


@pytest.fixture(scope="session", autouse=True)
def erasure_ledger_outside_the_repository(tmp_path_factory) -> Iterator[None]:
    """Apps made without app_factory write their erasure ledger in the run's temporary
    folder, not in the working tree's instance/."""
    os.environ["ERASURE_LEDGER_DIR"] = str(tmp_path_factory.mktemp("erasures"))
    yield
    os.environ.pop("ERASURE_LEDGER_DIR", None)


class PostgresServer:
    """Creates throwaway databases on the test server, so runs never collide."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)

    def _admin_connection(self) -> psycopg.Connection:
        conninfo = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=3)

    def create_database(self) -> str:
        name = f"campaign_site_test_{uuid.uuid4().hex[:12]}"
        with self._admin_connection() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with self._admin_connection() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    """The PostgreSQL server, or a skip (a failure in CI) when it cannot be reached."""
    server = PostgresServer(POSTGRES_URL)
    try:
        server._admin_connection().close()
    except psycopg.OperationalError as error:
        message = f"PostgreSQL at {POSTGRES_URL} is not reachable: {error}"
        if IN_CI:
            pytest.fail(message + " (CI=true requires it)")
        pytest.skip(message)
    return server


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server for shared rate limits, or a skip (a failure in CI) when unreachable."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        message = f"Redis at {REDIS_URL} is not reachable: {error}"
        if IN_CI:
            pytest.fail(message + " (CI=true requires it)")
        pytest.skip(message)
    return REDIS_URL


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request) -> str:
    """The name of the database the test runs against."""
    return request.param


@pytest.fixture
def empty_database_url(backend, request, tmp_path) -> Iterator[str]:
    """A brand-new database with no tables, dropped after the test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture(scope="session")
def migrated_database_url(backend, request, tmp_path_factory) -> Iterator[str]:
    """One database per backend for the whole run, built by `flask db upgrade`."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'campaign.db'}"
        server = None
    else:
        server = request.getfixturevalue("postgres_server")
        url = server.create_database()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    if server is not None:
        server.drop_database(url)


class SharedTemplateCode(BytecodeCache):
    """Compiled templates shared by every app the run makes: each new app would otherwise
    parse and compile them again (a quarter of a small test's time). Keyed by the template's
    source checksum, so an edited template is compiled afresh."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = SharedTemplateCode()


@pytest.fixture
def app_factory(migrated_database_url, tmp_path) -> Iterator:
    """Makes apps on the migrated database with extra settings; empties it afterwards."""
    apps: list[Flask] = []

    def make(**settings) -> Flask:
        # Redis keys of their own, so tests running side by side never share a count.
        settings.setdefault("RATELIMIT_KEY_PREFIX", f"test-{uuid.uuid4().hex}")
        # Mail written as files (admin alerts too) stays in the test's own folder.
        settings.setdefault("MAIL_OUTBOX_DIR", str(tmp_path / "outbox"))
        # So does the erasure ledger: a restore in one test never reads another's withdrawals.
        settings.setdefault("ERASURE_LEDGER_DIR", str(tmp_path / "erasures"))
        app = create_app({"SQLALCHEMY_DATABASE_URI": migrated_database_url, **settings})
        app.jinja_env.bytecode_cache = TEMPLATE_CODE
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.session.rollback()
            db.engine.dispose()
    if apps:
        _empty_tables(apps[0])


def _empty_tables(app: Flask) -> None:
    """Remove what a test stored, keeping the schema and the count shards."""
    with app.app_context():
        db.session.execute(delete(OutboxMessage))
        db.session.execute(delete(ContentVersion))
        db.session.execute(delete(CampaignUpdateText))
        db.session.execute(delete(CampaignUpdate))
        db.session.execute(delete(MailPace))
        db.session.execute(delete(AdminAudit))
        db.session.execute(delete(ExportRequest))
        db.session.execute(delete(SignatureTally))
        db.session.execute(delete(PaperCount))
        db.session.execute(delete(Event))
        db.session.execute(delete(ExportAudit))
        db.session.execute(delete(SiteSetting))
        db.session.execute(delete(PartnerOrigin))
        db.session.execute(delete(DailyTally))
        db.session.execute(delete(Signature))
        db.session.execute(delete(AdminUser))
        db.session.execute(update(SignatureCountShard).values(count=0))
        db.session.commit()
        db.engine.dispose()


@pytest.fixture
def app(app_factory) -> Flask:
    """The app in testing mode on a migrated database."""
    return app_factory()


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """A real SMTP server on loopback, collecting what the worker sends."""
    server = MailServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(app_factory, mail_server) -> Flask:
    """The app, with the mail worker pointed at the loopback SMTP server."""
    return app_factory(**mail_server.settings())


@pytest.fixture
def client(app) -> FlaskClient:
    """A browser without JavaScript."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """The `flask` command line."""
    return app.test_cli_runner()


@pytest.fixture
def admin_credentials(runner) -> tuple[str, str]:
    """An admin created through the real CLI."""
    email, password = "admin@example.org", "correct horse battery staple"
    result = runner.invoke(args=["create-admin", email], input=password + "\n")
    assert result.exit_code == 0, result.output
    return email, password


@pytest.fixture
def admin_client(client, admin_credentials) -> FlaskClient:
    """A browser logged in as an admin."""
    email, password = admin_credentials
    assert log_in(client, email, password).status_code == 303
    return client
