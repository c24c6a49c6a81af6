"""How long the admin dashboard takes with 1,000,000 signatures (target: p50 <= 200 ms).

Builds a throwaway database per engine (a SQLite file; a `campaign_bench_*` database on the
PostgreSQL at BENCH_POSTGRES_URL), migrated, then bulk-inserts signatures over ~60 days from
~40 countries and ~12 sources (a few of each far more common than the rest, as links spread)
and fills signature_tally from them with one INSERT ... SELECT ... GROUP BY, as migration
0011 does. The app (testing settings) serves GET /admin/ (the overview) and GET
/admin/signatures (the totals, charts and tables) to a logged-in admin through the test
client, in this process: one warm-up, then 30 timed requests of each; the same on an empty
database is the reference. Then the dashboard's own queries, one by one, to show where the
time goes.

    .venv/bin/python -m benchmarks.dashboard [--rows 1000000] [--database sqlite] [--requests 30]
"""

import argparse
import io
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text

from benchmarks import bench
from benchmarks.bench import postgres_available
from campaign_site import create_app
from campaign_site.extensions import db

TARGET_MS = 200
DAYS, COUNTRIES, SOURCES = 60, 40, 12
COUNTRY_CODES = (
    "DE UA RU GB FR US PL LT LV EE NL BE SE NO FI DK CZ SK AT CH IT ES PT IE CA AU GE MD RO BG "
    "HU HR SI RS GR TR IL JP KZ AM"
).split()[:COUNTRIES]
# The first is a link without a code, stored as NULL (the tally's "").
SOURCE_CODES = [None, *[f"src-{n:02d}" for n in range(1, SOURCES)]]
ADMIN_EMAIL, ADMIN_PASSWORD = "bench-admin@example.org", "a long benchmark passphrase"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
SEALED = bytes(140)  # the dashboard never opens a sealed box; about a real one's size
COLUMNS = (
    "personal, email_hash, country, language, keep_informed, show_name, signed_at, status, "
    "confirmed_at, token_nonce, review_marks, source, network_hash, domain_hash"
)
NETWORKS, DOMAINS = 20_000, 300  # the fraud signals' hashes, a few far more common
LANGUAGES = ["en", "de", "ru", "uk"]


def skewed(n: int, salt: int, size: int) -> int:
    """A stable pick in range(size), low values far more often (about 1/rank^0.6)."""
    x = ((n * 2654435761 + salt * 40503) % 1_000_003) / 1_000_003
    return min(int(size * x**2.5), size - 1)


def signature_rows(rows: int, key_id: bytes, now: datetime) -> Iterator[tuple]:
    """Signatures spread over DAYS up to now, about 70% confirmed."""
    span = DAYS * 86400
    first = now - timedelta(seconds=span)
    for n in range(rows):
        signed_at = first + timedelta(seconds=(n * span) // rows + (n * 7919) % 600)
        confirmed = n % 10 < 7
        yield (
            SEALED,
            key_id + n.to_bytes(32, "big"),  # unique, under the configured blind key
            COUNTRY_CODES[skewed(n, 1, COUNTRIES)],
            LANGUAGES[n % 4],
            n % 3 == 0,
            n % 5 == 0,
            signed_at,
            "confirmed" if confirmed else "pending",
            signed_at + timedelta(minutes=5) if confirmed else None,
            f"{n:032x}",
            "",
            SOURCE_CODES[skewed(n, 2, SOURCES)],
            key_id + skewed(n, 3, NETWORKS).to_bytes(32, "big"),
            key_id + skewed(n, 4, DOMAINS).to_bytes(32, "big"),
        )


# The tally from the signatures, as migration 0011 backfills it (sources kept apart here).
TALLY_FROM_SIGNATURES = (
    "INSERT INTO signature_tally"
    " (hour, source, country, language, signed, confirmed, informed, repeats) "
    "SELECT {hour}, coalesce(source, ''), country, language, count(*), "
    "sum(CASE WHEN status = 'confirmed' THEN 1 ELSE 0 END), "
    "sum(CASE WHEN status = 'confirmed' AND keep_informed THEN 1 ELSE 0 END), 0 "
    "FROM signature GROUP BY {hour}, coalesce(source, ''), country, language"
)


class Database(bench.Database):
    """bench.py's throwaway database (SQLite file or PostgreSQL), seeded in bulk here."""

    @property
    def libpq_url(self) -> str:
        return self.url.replace("postgresql+psycopg://", "postgresql://")

    def seed(self, rows: int, key_id: bytes) -> tuple[float, int]:
        """Insert the signatures and their tally; (seconds, tally rows)."""
        started = time.perf_counter()
        now = datetime.now(UTC)
        if self.kind == "postgresql":
            with psycopg.connect(self.libpq_url) as connection:
                connection.execute("SET TimeZone = 'UTC'")
                with connection.cursor().copy(f"COPY signature ({COLUMNS}) FROM STDIN") as copy:
                    for row in signature_rows(rows, key_id, now):
                        copy.write_row(row)
                connection.execute(
                    TALLY_FROM_SIGNATURES.format(hour="date_trunc('hour', signed_at)")
                )
                confirmed = connection.execute(
                    "SELECT count(*) FROM signature WHERE status = 'confirmed'"
                ).fetchone()[0]
                connection.execute(
                    "UPDATE signature_count_shard SET count = %s WHERE shard = 0", (confirmed,)
                )
                connection.commit()
                connection.autocommit = True
                connection.execute("VACUUM ANALYZE")
                tally = connection.execute("SELECT count(*) FROM signature_tally").fetchone()[0]
        else:
            connection = sqlite3.connect(self.path)
            # The text SQLAlchemy stores for a DateTime on SQLite.
            stored = "%Y-%m-%d %H:%M:%S.%f"
            with connection:
                connection.executemany(
                    f"INSERT INTO signature ({COLUMNS}) VALUES ({', '.join('?' * 14)})",
                    (
                        tuple(v.strftime(stored) if isinstance(v, datetime) else v for v in row)
                        for row in signature_rows(rows, key_id, now)
                    ),
                )
                connection.execute(
                    TALLY_FROM_SIGNATURES.format(
                        hour="strftime('%Y-%m-%d %H:00:00.000000', signed_at)"
                    )
                )
                connection.execute(
                    "UPDATE signature_count_shard SET count = "
                    "(SELECT count(*) FROM signature WHERE status = 'confirmed') WHERE shard = 0"
                )
            connection.execute("ANALYZE")
            tally = connection.execute("SELECT count(*) FROM signature_tally").fetchone()[0]
            connection.close()
        return time.perf_counter() - started, tally


def make_app(database: Database) -> Flask:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url})
    with app.app_context(), redirect_stderr(io.StringIO()):  # alembic's log of each step
        upgrade()
    result = app.test_cli_runner().invoke(
        args=["create-admin", ADMIN_EMAIL], input=ADMIN_PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    return app


def blind_key_id(app: Flask) -> bytes:
    from campaign_site.crypto.keyrings import blind_keyring

    with app.app_context():
        return blind_keyring().current_id


PAGES = ("/admin/", "/admin/signatures")


def time_dashboard(app: Flask, requests: int, path: str) -> list[float]:
    """Milliseconds of GET `path` for a logged-in admin, after one warm-up."""
    client = app.test_client()
    token = CSRF_INPUT.search(client.get("/admin/login").get_data(as_text=True)).group(1)
    login = client.post(
        "/admin/login",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token},
    )
    assert login.status_code == 303, login.status_code
    assert client.get(path).status_code == 200  # warm-up
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return times


def time_parts(app: Flask, rounds: int = 5) -> list[tuple[str, float]]:
    """Median milliseconds of each piece the dashboard reads, alone."""
    from campaign_site.admin import charts, dashboard
    from campaign_site.petition import counting, trending

    parts: list[tuple[str, Callable[[], object]]] = [
        ("counting.totals (the tally)", counting.totals),
        ("counting.totals_by_language (the tally)", counting.totals_by_language),
        ("counting.confirmed_by_country (the tally)", counting.confirmed_by_country),
        ("dashboard.counts (totals, by country, by language)", dashboard.counts),
        ("dashboard.health", dashboard.health),
        ("charts.dashboard_charts (the tally)", charts.dashboard_charts),
        (
            "trending.trending('hour') (the dashboard's fraud flags)",
            lambda: trending.trending("hour", over_only=True),
        ),
        ("trending.trending('day') (/admin/fraud)", lambda: trending.trending("day")),
    ]
    figures = []
    with app.test_request_context("/admin/"):
        for name, part in parts:
            part()
            times = []
            for _ in range(rounds):
                started = time.perf_counter()
                part()
                times.append((time.perf_counter() - started) * 1000)
                db.session.rollback()
            figures.append((name, statistics.median(times)))
    return figures


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def line(name: str, value: str, target: str = "", verdict: str = "") -> None:
    print(f"  {name:<62} {value:>22}  {target:<12} {verdict}", flush=True)


@contextmanager
def database_with(kind: str, workdir: Path, rows: int) -> Iterator[Flask]:
    database = Database(kind, workdir)
    try:
        app = make_app(database)
        if rows:
            seconds, tally = database.seed(rows, blind_key_id(app))
            line(f"{kind}: seeded {rows:,} signatures, {tally:,} tally rows", f"{seconds:.0f} s")
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    finally:
        database.drop()


def measure(kind: str, rows: int, requests: int, workdir: Path) -> None:
    print(f"{kind}:", flush=True)
    with database_with(kind, workdir, 0) as app:
        empty = {path: time_dashboard(app, requests, path) for path in PAGES}
    with database_with(kind, workdir, rows) as app:
        with app.app_context():
            count = db.session.scalar(text("SELECT count(*) FROM signature"))
            db.session.remove()
        assert count == rows, count
        full = {path: time_dashboard(app, requests, path) for path in PAGES}
        parts = time_parts(app)
    for path in PAGES:
        p50, p90 = percentile(full[path], 0.5), percentile(full[path], 0.9)
        empty_p50 = percentile(empty[path], 0.5)
        verdict = "PASS" if p50 <= TARGET_MS else "MISS"
        line(
            f"GET {path}, {rows:,} signatures: p50", f"{p50:.1f} ms", f"<= {TARGET_MS} ms", verdict
        )
        line(f"GET {path}, {rows:,} signatures: p90", f"{p90:.1f} ms")
        line(
            f"GET {path}, empty database (reference): p50 / p90",
            f"{empty_p50:.1f} / {percentile(empty[path], 0.9):.1f} ms",
        )
        line("ratio, p50 full / empty", f"{p50 / empty_p50:.1f}x")
    for name, ms in parts:
        line(f"  {name}", f"{ms:.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], action="append")
    args = parser.parse_args()
    kinds = args.database or (["sqlite", "postgresql"] if postgres_available() else ["sqlite"])
    with tempfile.TemporaryDirectory() as workdir:
        for kind in kinds:
            measure(kind, args.rows, args.requests, Path(workdir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
