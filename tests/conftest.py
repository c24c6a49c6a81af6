"""Fixtures: every test that touches the database runs on SQLite and on PostgreSQL.

The schema is always built by the migrations, so every run tests them too.
PostgreSQL is skipped only when unreachable outside CI; with CI=true it must be there.
"""

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from types import CodeType

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy import SQLAlchemy
from hypothesis import settings
from jinja2 import BytecodeCache
from mailserver import MailServer
from sqlalchemy import (
    Engine,
    create_engine,
    delete,
    exists,
    literal,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.engine import make_url
from support import log_in
from werkzeug.routing import Rule

from campaign_site import create_app
from campaign_site.database import configure_engine, write_options
from campaign_site.extensions import db
from campaign_site.models import SignatureCountShard

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
# Property tests try a few examples in the fast lane and many in CI (make test sets
# HYPOTHESIS_PROFILE=ci); the examples that once failed are tried first either way.
settings.register_profile("fast", max_examples=10)
settings.register_profile("ci", max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if IN_CI else "fast"))
# Every app the tests make, and every server they start, runs with the required content
# filled in (made-up values), as production must; tests of the shipped file name it.
TEST_CONTENT_FILE = os.path.join(os.path.dirname(__file__), "content", "campaign.toml")
os.environ["CONTENT_FILE"] = TEST_CONTENT_FILE


def _share_url_builders() -> None:
    """Every app the run makes compiles the same URL rules: Werkzeug writes Python for each
    rule's URL builder and compiles it, two thirds of create_app's time. The builder depends
    only on the rule's parts and defaults, and takes the rule as its argument, so one per
    distinct rule serves every app of the process."""
    compile_builder = Rule._compile_builder
    builders: dict[tuple, object] = {}

    def shared(rule: Rule, append_unknown: bool = True):
        defaults = tuple((name, repr(value)) for name, value in (rule.defaults or {}).items())
        key = (rule.rule, tuple(rule._trace), defaults, append_unknown)
        if key not in builders:
            builders[key] = compile_builder(rule, append_unknown)
        return builders[key]

    Rule._compile_builder = shared


_share_url_builders()


# The migrated databases' URLs: apps on them share one engine per URL and settings.
SHARED_ENGINE_URLS: set[str] = set()
SHARED_ENGINES: dict[tuple, Engine] = {}


def _share_engines() -> None:
    """Each new engine starts with an empty cache of compiled SQL, so every app compiled
    each statement again (half of an app's first page). Apps on the run's migrated database
    get one engine per URL and engine settings instead; its pool keeps the connections,
    so a test no longer opens new ones either. (configure_engine adds its listeners once:
    SQLAlchemy ignores a listener added again.)"""
    make_engine = SQLAlchemy._make_engine

    def shared(extension: SQLAlchemy, bind_key, options: dict, app: Flask) -> Engine:
        url = str(options["url"])
        if url not in SHARED_ENGINE_URLS:
            return make_engine(extension, bind_key, options, app)
        key = (url, repr(sorted((name, repr(value)) for name, value in options.items())))
        if key not in SHARED_ENGINES:
            SHARED_ENGINES[key] = make_engine(extension, bind_key, options, app)
        return SHARED_ENGINES[key]

    SQLAlchemy._make_engine = shared


_share_engines()


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
            # A throwaway database need not survive a power cut: commits skip the wait for
            # the disk (a third of a small test's time on PostgreSQL went to that wait).
            connection.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
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


def _memory_backed_folder(tmp_path_factory, name: str) -> str:
    """A folder in RAM (/dev/shm) when the machine has one, else the run's temporary folder:
    SQLite syncs every commit to the disk (PRAGMA synchronous=FULL), which a test database
    need not survive and which cost a sixth of a SQLite test's time on disk."""
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK):
        return tempfile.mkdtemp(prefix=f"campaign-site-{name}-", dir=shm)
    return str(tmp_path_factory.mktemp(name))


@pytest.fixture(scope="session")
def _migrated_database(backend, request, tmp_path_factory) -> Iterator[str]:
    """One database per backend for the whole run, built by `flask db upgrade`."""
    if backend == "sqlite":
        folder = _memory_backed_folder(tmp_path_factory, "db")
        url = f"sqlite:///{folder}/campaign.db"
        server = None
    else:
        server = request.getfixturevalue("postgres_server")
        url = server.create_database()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    SHARED_ENGINE_URLS.add(url)
    yield url
    SHARED_ENGINE_URLS.discard(url)
    if server is not None:
        server.drop_database(url)
    else:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def _cleanup_engine(_migrated_database) -> Iterator[Engine]:
    """One connection per run that empties the migrated database after each test."""
    engine = create_engine(_migrated_database, pool_size=1)
    configure_engine(engine)  # SQLite: the busy timeout and BEGINs the app's engines use
    yield engine
    engine.dispose()


@pytest.fixture
def migrated_database_url(_migrated_database, _cleanup_engine) -> Iterator[str]:
    """The run's migrated database, emptied after the test whatever wrote to it (the app,
    a CLI command, a server the test started, a restore through sqlite3)."""
    yield _migrated_database
    _empty_tables(_cleanup_engine)
    if _migrated_database.startswith("sqlite"):
        # No SQLite connection outlives a test: a server process the next test starts
        # writes to the same file, and this process may close another handle on it, which
        # drops the file locks SQLite relies on ("database disk image is malformed").
        for (url, _), engine in SHARED_ENGINES.items():
            if url == _migrated_database:
                engine.dispose()
        _cleanup_engine.dispose()


class SharedTemplateCode(BytecodeCache):
    """Compiled templates shared by every app the run makes: each new app would otherwise
    parse and compile them again (a quarter of a small test's time). The code objects
    themselves are kept, not their marshalled bytes: unmarshalling them for each new app
    was still a third of an app's first page. Checked against the template's source
    checksum, so an edited template is compiled afresh."""

    def __init__(self) -> None:
        self.code: dict[str, tuple[str, CodeType]] = {}

    def load_bytecode(self, bucket) -> None:
        checksum, code = self.code.get(bucket.key, (None, None))
        if checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = (bucket.checksum, bucket.code)


TEMPLATE_CODE = SharedTemplateCode()


@pytest.fixture
def app_factory(migrated_database_url, tmp_path) -> Iterator:
    """Makes apps on the migrated database with extra settings (emptied afterwards by
    migrated_database_url)."""
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


# Tables the migrations fill: what shows a test changed them, and how they are put back.
SEEDED = {
    SignatureCountShard.__table__.name: (
        SignatureCountShard.count != 0,
        update(SignatureCountShard).values(count=0),
    )
}


def _empty_tables(engine: Engine) -> None:
    """Remove what a test stored, keeping the schema and the count shards.

    The tables come from the models' metadata, children before parents. One query asks
    which of them hold anything; only those are emptied (most tests write to few or none).
    DELETE, not TRUNCATE, on PostgreSQL too: TRUNCATE of the tables took about 80 ms
    against 2 ms for DELETE of a test's few rows."""
    tables = list(reversed(db.metadata.sorted_tables))
    reset = {table.name: SEEDED.get(table.name, (true(), delete(table))) for table in tables}
    holding = union_all(
        *(
            select(literal(table.name)).where(
                exists(select(1).select_from(table).where(reset[table.name][0]))
            )
            for table in tables
        )
    )
    with engine.connect() as connection:
        names = set(connection.scalars(holding))
        connection.rollback()
        if not names:
            return
        with connection.execution_options(**write_options()).begin():
            for table in tables:
                if table.name in names:
                    connection.execute(reset[table.name][1])


@pytest.fixture
def app_factory_without_database(tmp_path):
    """Makes apps for tests that never touch a database (caches, forms), so they run once
    instead of once per backend. Their database is a file that is never created: a query
    fails with "no such table"."""

    def make(**settings) -> Flask:
        settings.setdefault("MAIL_OUTBOX_DIR", str(tmp_path / "outbox"))
        settings.setdefault("ERASURE_LEDGER_DIR", str(tmp_path / "erasures"))
        url = f"sqlite:///{tmp_path / 'never-created.db'}"
        return create_app({"SQLALCHEMY_DATABASE_URI": url, **settings})

    return make


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
