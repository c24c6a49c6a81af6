"""`make bench`: the viral-spike benchmarks, run against real gunicorn servers on loopback.

Starts the servers itself, seeds data in bulk, drives load with wrk, and prints every
figure next to its target; the full run also writes benchmarks/RESULTS.md.
`--quick` runs the same code on a tiny load (the test suite's smoke test uses it).
"""

import argparse
import datetime as dt
import gzip
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pyotp
from sqlalchemy import create_engine, text

from benchmarks.loadgen import run_signing_load
from campaign_site.crypto.keyrings import BLIND_KEY, DATA_KEY, Keyring, new_key, parse_keys
from campaign_site.crypto.mailbox_index import blind_index
from campaign_site.crypto.sealed_box import Person, open_box, seal
from scripts.compress_static import compress
from scripts.nginx_loopback import nginx_in_front

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
DEFAULT_WORKER_CLASS = "gthread"  # gunicorn.conf.py's; the page target is judged on it
# gunicorn runs "sync" with threads > 1 as gthread: a true sync worker has one thread.
WORKER_SETTINGS = {
    "sync": {"worker_class": "sync", "threads": 1},
    "gthread": {"worker_class": "gthread"},
}
# The database's own dump of the same rows: it cannot decrypt, so the sealed column goes out as is.
COLUMNS = "id, status, signed_at, confirmed_at, personal, country, keep_informed, show_name, language, review_marks"
RUN_ID = f"bench-{secrets.token_hex(4)}"
# One pair of keys for every server and command of a run, as in production.
KEYS = {DATA_KEY: new_key(), BLIND_KEY: new_key()}
DATA_KEYRING = Keyring(DATA_KEY, parse_keys(DATA_KEY, KEYS[DATA_KEY]))
BLIND_KEYRING = Keyring(BLIND_KEY, parse_keys(BLIND_KEY, KEYS[BLIND_KEY]))


@dataclass
class Settings:
    """How big each measurement is."""

    page_seconds: int
    page_rounds: int
    sign_seconds: int
    sign_rounds: int
    sign_clients: int
    export_rows: int
    flat_rows: int
    race_clients: int

    @classmethod
    def full(cls) -> "Settings":
        return cls(
            page_seconds=5,
            page_rounds=3,
            sign_seconds=30,
            sign_rounds=3,
            sign_clients=50,
            export_rows=1_000_000,
            flat_rows=1_000_000,
            race_clients=50,
        )

    @classmethod
    def quick(cls) -> "Settings":
        return cls(
            page_seconds=1,
            page_rounds=1,
            sign_seconds=2,
            sign_rounds=1,
            sign_clients=4,
            export_rows=2_000,
            flat_rows=2_000,
            race_clients=8,
        )


@dataclass
class Figure:
    """One line of the results table."""

    name: str
    value: str
    target: str
    passed: bool | None  # None: information only

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "MISS", None: ""}[self.passed]


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, name, value, target="", passed=None) -> None:
        figure = Figure(name, value, target, passed)
        self.figures.append(figure)
        print(f"  {name:<58} {value:>22}  {target:<16} {figure.verdict}", flush=True)

    def table(self) -> str:
        lines = ["| Measurement | Figure | Target | Result |", "| --- | ---: | --- | --- |"]
        lines += [f"| {f.name} | {f.value} | {f.target} | {f.verdict} |" for f in self.figures]
        return "\n".join(lines)


# --- servers ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A gunicorn master on a loopback port, with the project's gunicorn.conf.py."""

    def __init__(self, app: str, env: dict, log: Path, **gunicorn) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_ACCESS_LOG": "",
            "GUNICORN_LOG_LEVEL": "warning",
        }
        for key, value in gunicorn.items():
            self.env[f"GUNICORN_{key.upper()}"] = str(value)
        self.command = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), app]
        self.log = log
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.command, env=self.env, cwd=ROOT, stdout=log, stderr=log
            )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                status, _, _ = request(
                    "GET", self.port, "/healthz" if "campaign_site" in self.command[-1] else "/"
                )
                if status == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"server did not start; see {self.log}")

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        return [int(pid) for pid in children.split()]

    def peak_rss_mb(self) -> float:
        """The largest peak resident size (VmHWM) among the workers."""
        peaks = []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)
        return max(peaks)


def request(
    method: str, port: int, path: str, body: bytes | None = None, headers: dict | None = None
):
    """One HTTP request on loopback: (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


class Browser:
    """Just enough of a browser: keeps the session cookie, reads hidden form fields."""

    def __init__(self, port: int, ip: str = "127.0.0.1") -> None:
        self.port = port
        self.cookie = ""
        self.ip = ip

    def _headers(self, extra=None) -> dict:
        headers = {"X-Forwarded-For": self.ip}
        if self.cookie:
            headers["Cookie"] = self.cookie
        return {**headers, **(extra or {})}

    def _keep_cookie(self, headers) -> None:
        for value in headers.get_all("Set-Cookie") or []:
            if value.startswith("session="):
                self.cookie = value.split(";", 1)[0]

    def get(self, path: str):
        status, headers, body = request("GET", self.port, path, headers=self._headers())
        self._keep_cookie(headers)
        return status, headers, body

    def post(self, path: str, form: dict):
        body = urlencode(form).encode()
        status, headers, reply = request(
            "POST",
            self.port,
            path,
            body,
            self._headers({"Content-Type": "application/x-www-form-urlencoded"}),
        )
        self._keep_cookie(headers)
        return status, headers, reply

    def signing_form(self) -> dict:
        """What a browser sends besides the typed fields: the page's hidden fields (none but
        the empty stamp now) and the stamp site.js fetches as the visitor starts."""
        _, _, body = self.get("/api/form-stamp")
        return {**self.hidden_fields("/"), "started": json.loads(body)["stamp"]}

    def hidden_fields(self, path: str) -> dict:
        _, _, body = self.get(path)
        return dict(
            re.findall(r'<input[^>]*name="(csrf_token|started)"[^>]*value="([^"]+)"', body.decode())
        )


# --- databases ----------------------------------------------------------------------


class Database:
    """A fresh, migrated database: a SQLite file, or a throwaway PostgreSQL database."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        if kind == "sqlite":
            self.path = workdir / f"bench-{secrets.token_hex(4)}.db"
            self.url = f"sqlite:///{self.path}"
        else:
            self.name = f"campaign_bench_{secrets.token_hex(4)}"
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{self.name}"')
            self.url = (
                POSTGRES_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[
                    0
                ]
                + f"/{self.name}"
            )
        flask(["db", "upgrade"], self.url)

    def drop(self) -> None:
        if self.kind == "postgresql":
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def scalar(self, sql: str, **params):
        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                return connection.execute(text(sql), params).scalar()
        finally:
            engine.dispose()

    def emails_like(self, prefix: str) -> list[str]:
        """Stored addresses that start with prefix: every row is decrypted, as an admin's export would."""
        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                boxes = connection.execute(text("SELECT personal FROM signature")).scalars()
                emails = (open_box(box, DATA_KEYRING).email for box in boxes)
                return [email for email in emails if email.startswith(prefix)]
        finally:
            engine.dispose()

    def seed(self, rows: int) -> float:
        """Bulk-insert confirmed signatures; returns seconds taken."""
        started = time.perf_counter()
        now = dt.datetime.now(dt.UTC)
        countries = ["DE", "UA", "RU", "GB", "FR", "US", "PL", "LT"]

        def row(n):
            email = f"seed{n}@example.org"
            person = Person("Supporter", f"Nummer{n}", email, f"{10000 + n % 90000}")
            return (
                seal(person, DATA_KEYRING),
                blind_index(email, BLIND_KEYRING.current),
                countries[n % len(countries)],
                n % 3 == 0,
                n % 5 == 0,
                now,
                "confirmed",
                now,
                secrets.token_hex(16),
            )

        columns = (
            "personal, email_hash, country, keep_informed, show_name, "
            "signed_at, status, confirmed_at, token_nonce"
        )
        if self.kind == "postgresql":
            with psycopg.connect(self.url.replace("+psycopg", "")) as connection:
                with connection.cursor().copy(f"COPY signature ({columns}) FROM STDIN") as copy:
                    for n in range(rows):
                        copy.write_row(row(n))
                connection.execute(
                    "UPDATE signature_count_shard SET count = count + %s WHERE shard = 0", (rows,)
                )
                connection.execute("ANALYZE signature")
        else:
            import sqlite3

            connection = sqlite3.connect(self.path)
            with connection:
                connection.executemany(
                    f"INSERT INTO signature ({columns}) VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        tuple(
                            v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v
                            for v in row(n)
                        )
                        for n in range(rows)
                    ),
                )
                connection.execute(
                    "UPDATE signature_count_shard SET count = count + ? WHERE shard = 0", (rows,)
                )
            connection.close()
        return time.perf_counter() - started


def flask(args: list[str], database_url: str, stdin: str | None = None) -> str:
    env = {
        **os.environ,
        **KEYS,
        "DATABASE_URL": database_url,
        "FLASK_APP": "campaign_site",
        "APP_ENV": "development",
    }
    result = subprocess.run(
        [str(BIN / "flask"), *args],
        env=env,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def production_env(database_url: str, **extra) -> dict:
    return {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "PUBLIC_URL": "https://petition.example.org",
        "TRUSTED_HOSTS": "127.0.0.1",  # the load generators ask for the loopback address
        "MAIL_SMTP_HOST": "127.0.0.1",  # the worker is not started: mail stays queued
        "DISCREET_MAIL_SENDER": "Notifications <noreply@notes.example.net>",
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        # Counts of its own per run: earlier runs' admin logins must not lock this one out.
        "RATELIMIT_KEY_PREFIX": RUN_ID,
        "TRUSTED_PROXIES": "1",
        "SIGNING_MIN_SECONDS": "0",
        # The required content filled with made-up values, as the test suite runs.
        "CONTENT_FILE": str(ROOT / "tests" / "content" / "campaign.toml"),
        **KEYS,
        **{key: str(value) for key, value in extra.items()},
    }


# --- load -----------------------------------------------------------------------------


def wrk(
    port: int,
    path: str,
    seconds: int,
    threads: int,
    connections: int,
    script: Path | None = None,
    env: dict | None = None,
    headers: dict | None = None,
) -> dict:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", str(script)]
    command.append(f"http://127.0.0.1:{port}{path}")
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, env={**os.environ, **(env or {})}
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    if rps == 0 or "Socket errors" in output:
        raise RuntimeError(f"wrk got no clean answers from {path}:\n{output}")
    p50 = _wrk_latency_ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": rps,
        "p50_ms": p50,
        "non_2xx_3xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "none",
        "output": output,
    }


def warm_up(port: int) -> None:
    """Load every worker once (first renders, connections) before anything is measured."""
    for _ in range(20):
        status, _, _ = request("GET", port, "/")
        if status != 200:
            raise RuntimeError(f"GET / answered {status} during warm-up")
    wrk(port, "/", 2, 2, 16)


def _wrk_latency_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


# --- the measurements -----------------------------------------------------------------


def bench_page(report: Report, settings: Settings, workdir: Path) -> None:
    """GET / against a hello-world app under the same gunicorn settings, per worker class,
    and through nginx's micro-cache (deploy/nginx/) in front of the site.

    Servers stay up and are loaded in turn, several rounds, medians kept: on a shared
    2-core machine a single pair of runs can differ by 2x from one minute to the next.
    """
    database = Database("sqlite", workdir)
    try:
        for worker_class in ("gthread", "sync"):
            default = worker_class == DEFAULT_WORKER_CLASS
            runs: dict[str, list[float]] = {"hello": [], "site": [], "nginx": []}
            with (
                Server(
                    "benchmarks.hello:app",
                    {},
                    workdir / "page-hello.log",
                    **WORKER_SETTINGS[worker_class],
                ) as hello,
                Server(
                    "campaign_site:create_app()",
                    production_env(database.url),
                    workdir / "page-site.log",
                    **WORKER_SETTINGS[worker_class],
                ) as site,
                _nginx_for(site.port, workdir / f"nginx-{worker_class}", default) as nginx_port,
            ):
                loads = [("hello", hello.port), ("site", site.port)]
                loads += [("nginx", nginx_port)] if nginx_port else []
                for _, port in loads:
                    warm_up(port)
                for _ in range(settings.page_rounds):
                    for name, port in loads:
                        runs[name].append(wrk(port, "/", settings.page_seconds, 2, 32)["rps"])
            rps = {name: statistics.median(values) for name, values in runs.items() if values}
            ratio = rps["site"] / rps["hello"]
            report.add(
                f"GET / req/s, {worker_class} (hello world: {rps['hello']:.0f})",
                f"{rps['site']:.0f}",
            )
            report.add(
                f"GET / vs hello world, {worker_class}, origin (no cookie, memory cache)",
                f"{ratio:.2f}x",
                ">= 0.90x",
                ratio >= 0.9 if default else None,
            )
            if "nginx" in rps:
                through = rps["nginx"] / rps["hello"]
                report.add(
                    f"GET / through nginx's cache: {rps['nginx']:.0f} req/s, vs origin hello world",
                    f"{through:.2f}x",
                    ">= 3.00x",
                    through >= 3.0,
                )
    finally:
        database.drop()


@contextmanager
def _nginx_for(app_port: int, folder: Path, wanted: bool) -> Iterator[int | None]:
    """deploy/nginx/campaign_site.conf on loopback in front of app_port (2 workers, as cores)."""
    if not wanted:
        yield None
        return
    static = folder / "static"
    shutil.copytree(ROOT / "static", static, ignore=shutil.ignore_patterns("*.gz"))
    compress(static)
    port = free_port()
    with nginx_in_front(folder, app_port, port, static, workers=os.cpu_count() or 1):
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                request("GET", port, "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        yield port


def bench_flat_page(report: Report, settings: Settings, workdir: Path) -> None:
    """p50 of GET / with no signatures, then with many."""
    database = Database("sqlite", workdir)
    try:
        p50 = {}
        for label, rows in [("empty", 0), ("full", settings.flat_rows)]:
            if rows:
                seconds = database.seed(rows)
                report.add(f"seed {rows:,} signatures (SQLite)", f"{seconds:.1f} s")
            with Server(
                "campaign_site:create_app()", production_env(database.url), workdir / "flat.log"
            ) as server:
                warm_up(server.port)
                p50[label] = wrk(server.port, "/", settings.page_seconds, 2, 16)["p50_ms"]
        ratio = p50["full"] / p50["empty"]
        report.add(
            f"GET / p50: {p50['empty']:.2f} ms empty, {p50['full']:.2f} ms with {settings.flat_rows:,}",
            f"{ratio:.2f}x",
            "<= 1.10x",
            ratio <= 1.10,
        )
    finally:
        database.drop()


def bench_signing(report: Report, settings: Settings, workdir: Path, kind: str) -> None:
    """Sustained signing with unique addresses, several rounds; every acknowledgement checked
    in the database; then the naive reference endpoint on the same database."""
    database = Database(kind, workdir)
    seconds, clients = settings.sign_seconds, settings.sign_clients
    try:
        rates, acknowledged, lost, doubled, server_errors, p50s, cpu = [], 0, 0, 0, 0, [], []
        with Server(
            "campaign_site:create_app()", production_env(database.url), workdir / f"sign-{kind}.log"
        ) as server:
            form = Browser(server.port).signing_form()
            for _ in range(settings.sign_rounds):
                run = f"run{secrets.token_hex(3)}"
                result = run_signing_load(server.port, form, "", run, clients, seconds)
                stored = database.emails_like(run + "-")
                acknowledged += len(result["acked"])
                lost += len(set(result["acked"]) - set(stored))
                doubled += len(stored) - len(set(stored))
                server_errors += len(
                    [f for f in result["failures"] if not isinstance(f[1], int) or f[1] >= 500]
                )
                rates.append(len(result["acked"]) / seconds)
                p50s.append(result["p50_ms"])
                cpu.append(100 * result["client_cpu_seconds"] / seconds)
        naive = _naive_signing_rate(settings, workdir, database)
        median = statistics.median(rates)
        runs = " / ".join(f"{rate:.0f}" for rate in rates)
        report.add(
            f"signing ({kind}), {clients} clients, {len(rates)} x {seconds} s: median (runs {runs})",
            f"{median:.0f} sig/s",
            ">= 500/s, none < 450",
            median >= 500 and min(rates) >= 450,
        )
        report.add(
            f"signing ({kind}) vs the naive Flask+WTForms+SQLAlchemy insert ({naive:.0f}/s)",
            f"{median / naive:.2f}x",
            ">= 0.50x",
            median / naive >= 0.5,
        )
        report.add(
            f"signing ({kind}): acknowledged / lost / doubled / 5xx",
            f"{acknowledged} / {lost} / {doubled} / {server_errors}",
            "0 lost, 0 doubled, 0 5xx",
            not lost and not doubled and not server_errors,
        )
        report.add(
            f"signing ({kind}): p50 latency; load generator CPU",
            f"{statistics.median(p50s):.1f} ms; {statistics.median(cpu):.0f}% of a core",
        )
        bench_race(report, settings, workdir, database, kind)
        if kind == "sqlite":
            bench_signing_other_class(report, settings, workdir, database)
    finally:
        database.drop()


def _naive_signing_rate(settings: Settings, workdir: Path, database: Database) -> float:
    """The same load against benchmarks/naive_sign.py (its own table, same database)."""
    from benchmarks.naive_sign import create_schema

    create_schema(database.url)
    with Server(
        "benchmarks.naive_sign:app",
        {"NAIVE_DATABASE_URL": database.url},
        workdir / f"naive-{database.kind}.log",
    ) as server:
        result = run_signing_load(
            server.port,
            {},
            "",
            f"naive{secrets.token_hex(3)}",
            settings.sign_clients,
            settings.sign_seconds,
        )
    if result["failures"]:
        raise RuntimeError(f"the naive endpoint failed: {result['failures'][:3]}")
    return len(result["acked"]) / settings.sign_seconds


def bench_signing_other_class(
    report: Report, settings: Settings, workdir: Path, database: Database
) -> None:
    """The same signing load on true sync workers (one thread each), for the worker-class
    choice (information only)."""
    seconds = max(settings.sign_seconds // 3, 1)
    with Server(
        "campaign_site:create_app()",
        production_env(database.url),
        workdir / "sign-sync.log",
        **WORKER_SETTINGS["sync"],
    ) as server:
        browser = Browser(server.port)
        result = run_signing_load(
            server.port,
            browser.signing_form(),
            "",
            f"sync{secrets.token_hex(3)}",
            settings.sign_clients,
            seconds,
        )
    report.add(
        f"signing (sqlite) on sync workers (one thread each), {settings.sign_clients} clients, "
        f"{seconds} s",
        f"{len(result['acked']) / seconds:.0f} sig/s",
    )


def bench_race(
    report: Report, settings: Settings, workdir: Path, database: Database, kind: str
) -> None:
    """Many clients submit one address at the same moment: exactly one row."""
    address = f"race-{secrets.token_hex(3)}@example.org"
    with Server(
        "campaign_site:create_app()", production_env(database.url), workdir / "race.log"
    ) as server:
        browsers = [
            Browser(server.port, ip=f"10.9.{n // 250}.{n % 250 + 1}")
            for n in range(settings.race_clients)
        ]
        forms = [b.signing_form() for b in browsers]
        start = threading.Barrier(len(browsers))
        statuses = []

        def submit(browser, hidden):
            start.wait()
            statuses.append(
                browser.post(
                    "/sign",
                    {
                        **hidden,
                        "given_name": "Race",
                        "family_name": "Runner",
                        "email": address,
                        "country": "DE",
                    },
                )[0]
            )

        threads = [
            threading.Thread(target=submit, args=pair) for pair in zip(browsers, forms, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    rows = database.scalar(
        "SELECT COUNT(*) FROM signature WHERE email_hash = :h",
        h=blind_index(address, BLIND_KEYRING.current),
    )
    report.add(
        f"same-email race ({kind}): {len(browsers)} clients -> rows",
        f"{rows} (all {'303' if set(statuses) == {303} else statuses})",
        "1 row",
        rows == 1,
    )


def bench_export(report: Report, settings: Settings, workdir: Path, kind: str) -> None:
    """Stream the CSV of many signatures; compare with the database's own CSV dump."""
    database = Database(kind, workdir)
    try:
        seconds = database.seed(settings.export_rows)
        report.add(f"seed {settings.export_rows:,} signatures ({kind})", f"{seconds:.1f} s")
        enrolment = flask(
            ["create-admin", "bench@example.org"], database.url, stdin="bench-password-123\n"
        )
        secret = re.search(r"secret=([A-Z2-7]+)", enrolment).group(1)  # type: ignore[union-attr]
        baseline = _baseline_export_seconds(database)
        with Server(
            "campaign_site:create_app()",
            production_env(database.url),
            workdir / f"export-{kind}.log",
            workers=1,
            threads=1,
        ) as server:
            browser = Browser(server.port)
            hidden = browser.hidden_fields("/admin/login")
            browser.post(
                "/admin/login",
                {
                    "csrf_token": hidden["csrf_token"],
                    "email": "bench@example.org",
                    "password": "bench-password-123",
                },
            )
            code_form = browser.hidden_fields("/admin/login/code")  # the second factor
            browser.post(
                "/admin/login/code",
                {"csrf_token": code_form["csrf_token"], "code": pyotp.TOTP(secret).now()},
            )
            started = time.perf_counter()
            size, lines = _stream(
                server.port, "/admin/signatures.csv", browser
            )  # confirmed: the default
            ours = time.perf_counter() - started
            rss = server.peak_rss_mb()
        if lines != settings.export_rows + 1:
            raise RuntimeError(f"export returned {lines} lines for {settings.export_rows} rows")
        tool = "sqlite3 -csv" if kind == "sqlite" else "psql COPY"
        ratio = ours / baseline
        report.add(
            f"export {settings.export_rows:,} rows ({kind}): ours {ours:.2f} s, {tool} {baseline:.2f} s",
            f"{ratio:.2f}x",
            "<= 3.0x",
            ratio <= 3.0,
        )
        report.add(
            f"export ({kind}): server peak RSS ({size / 1e6:.0f} MB sent)",
            f"{rss:.0f} MB",
            "<= 150 MB",
            rss <= 150,
        )
    finally:
        database.drop()


def bench_backup(report: Report, settings: Settings, workdir: Path, kind: str) -> None:
    """`flask backup create` and `restore` of many signatures against the database's own
    tools (sqlite3 .backup/.restore, pg_dump -Fc/pg_restore); peak RSS; signing during one."""
    database = Database(kind, workdir)
    targets = [Database(kind, workdir), Database(kind, workdir)]  # ours, the tool's
    try:
        database.seed(settings.export_rows)
        ours, rss = _timed_flask(
            ["backup", "create", str(workdir / f"quiet-{kind}.backup")], database.url
        )
        tool = _tool_backup(database, workdir / f"tool-{kind}.dump")
        name = "sqlite3 .backup" if kind == "sqlite" else "pg_dump -Fc"
        rows = f"{settings.export_rows:,}"
        report.add(
            f"backup create {rows} ({kind}): ours {ours:.1f} s, {name} {tool:.1f} s",
            f"{ours / tool:.2f}x",
            "<= 3.0x",
            ours <= 3 * tool,
        )
        report.add(f"backup create ({kind}): peak RSS", f"{rss:.0f} MB", "<= 150 MB", rss <= 150)
        ours, rss = _timed_flask(
            ["backup", "restore", str(workdir / f"quiet-{kind}.backup")], targets[0].url
        )
        tool = _tool_restore(targets[1], workdir / f"tool-{kind}.dump")
        name = "sqlite3 .restore" if kind == "sqlite" else "pg_restore"
        report.add(
            f"backup restore {rows} ({kind}): ours {ours:.1f} s, {name} {tool:.1f} s",
            f"{ours / tool:.2f}x",
            "<= 3.0x",
            ours <= 3 * tool,
        )
        report.add(f"backup restore ({kind}): peak RSS", f"{rss:.0f} MB", "<= 150 MB", rss <= 150)
        _signing_during_backup(report, settings, workdir, database, kind)
    finally:
        for each in (database, *targets):
            each.drop()


def _signing_during_backup(
    report: Report, settings: Settings, workdir: Path, database: Database, kind: str
) -> None:
    """Supporters keep signing while a backup runs: every acknowledged signature is stored."""
    run = f"during{secrets.token_hex(3)}"
    seconds = max(settings.sign_seconds // 3, 2)
    with Server(
        "campaign_site:create_app()",
        production_env(database.url),
        workdir / f"backup-sign-{kind}.log",
    ) as server:
        browser = Browser(server.port)
        form = browser.signing_form()
        outcome: dict = {}
        load = threading.Thread(
            target=lambda: outcome.update(
                run_signing_load(server.port, form, "", run, settings.sign_clients // 2, seconds)
            )
        )
        load.start()
        time.sleep(min(1.0, seconds / 4))
        taken, _rss = _timed_flask(
            ["backup", "create", str(workdir / f"busy-{kind}.backup")], database.url
        )
        load.join()
    acknowledged = set(outcome["acked"])
    lost = acknowledged - set(database.emails_like(run + "-"))
    report.add(
        f"signing ({kind}) during a {taken:.1f} s backup of {settings.export_rows:,}, {settings.sign_clients // 2} clients",
        f"{len(acknowledged) / seconds:.0f} sig/s; {len(lost)} lost",
        "0 lost",
        not lost,
    )


def _timed_flask(args: list[str], database_url: str) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one `flask` command, measured by GNU time."""
    env = {
        **os.environ,
        **KEYS,
        "DATABASE_URL": database_url,
        "FLASK_APP": "campaign_site",
        "APP_ENV": "development",
    }
    started = time.perf_counter()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", str(BIN / "flask"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return seconds, int(result.stderr.strip().splitlines()[-1]) / 1024


def _tool_backup(database: Database, path: Path) -> float:
    if database.kind == "sqlite":
        command = ["sqlite3", str(database.path), f".backup '{path}'"]
    else:
        command = ["pg_dump", "-Fc", "-f", str(path), database.url.replace("+psycopg", "")]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def _tool_restore(target: Database, path: Path) -> float:
    if target.kind == "sqlite":
        command = ["sqlite3", str(target.path), f".restore '{path}'"]
    else:
        command = [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "-d",
            target.url.replace("+psycopg", ""),
            str(path),
        ]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def bench_database_ceiling(report: Report, settings: Settings, workdir: Path) -> None:
    """What PostgreSQL alone takes: the site's signing transaction (benchmarks/pg_signing.sql)
    from pgbench's clients, no app in front: the part that gives out first at scale."""
    database = Database("postgresql", workdir)
    try:
        output = subprocess.run(
            [
                "pgbench",
                "-n",
                "-M",
                "prepared",
                "-c",
                "32",
                "-j",
                "2",
                "-T",
                str(max(settings.sign_seconds // 2, 2)),
                "-f",
                str(ROOT / "benchmarks/pg_signing.sql"),
                database.url.replace("+psycopg", ""),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        tps = float(re.search(r"tps = ([\d.]+)", output).group(1))
        report.add(
            "PostgreSQL alone: signing transactions/s (pgbench, 32 clients, synchronous_commit on)",
            f"{tps:.0f}/s",
        )
    finally:
        database.drop()


def bench_crypto(report: Report, settings: Settings) -> None:
    """What sealing costs each signature, and opening costs each exported row, in-process."""
    rounds = max(settings.export_rows // 10, 1000)
    person = Person("Сергей", "Магнитский", "sergei.magnitsky@example.org", "Москва 101000")
    started = time.perf_counter()
    for _ in range(rounds):
        seal(person, DATA_KEYRING)
        blind_index(person.email, BLIND_KEYRING.current)
    sealing = (time.perf_counter() - started) / rounds
    boxes = [seal(person, DATA_KEYRING) for _ in range(rounds)]
    started = time.perf_counter()
    for box in boxes:
        open_box(box, DATA_KEYRING)
    opening = (time.perf_counter() - started) / rounds
    report.add(
        f"encryption per signature (seal + blind index), mean of {rounds:,}",
        f"{sealing * 1e6:.1f} us",
    )
    report.add(
        f"decryption per exported row, mean of {rounds:,} (x 1,000,000 rows)",
        f"{opening * 1e6:.2f} us ({opening * 1e6:.2f} s)",
    )


def _stream(port: int, path: str, browser: Browser) -> tuple[int, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("GET", path, headers=browser._headers())
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"export answered {response.status}")
    size = lines = 0
    while chunk := response.read(1 << 16):
        size += len(chunk)
        lines += chunk.count(b"\n")
    connection.close()
    return size, lines


def _baseline_export_seconds(database: Database) -> float:
    query = f"SELECT {COLUMNS} FROM signature WHERE status = 'confirmed' ORDER BY id"
    if database.kind == "sqlite":
        command = ["sqlite3", "-csv", "-header", str(database.path), query]
    else:
        command = [
            "psql",
            "-X",
            "-q",
            database.url.replace("+psycopg", ""),
            "-c",
            f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)",
        ]
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


# What a browser fetches to show the page (links to follow, and the canonical address, aren't).
LOADED = re.compile(
    r'<(?:script|img|source|iframe|video|audio)\b[^>]*\ssrc="([^"]+)"'
    r'|<link\b[^>]*rel="(?:stylesheet|icon|preload|modulepreload|manifest)"[^>]*href="([^"]+)"'
)


def bench_weight(report: Report, workdir: Path) -> None:
    """What a phone downloads for the page, compressed as a proxy would send it."""
    database = Database("sqlite", workdir)
    try:
        with Server(
            "campaign_site:create_app()", production_env(database.url), workdir / "weight.log"
        ) as server:
            _, _, page = request("GET", server.port, "/")
            html = page.decode()
            loaded = [a or b for a, b in LOADED.findall(html)]
            urls = [url for url in loaded if url.startswith("/static/")]
            total = len(gzip.compress(page))
            cache_ok = True
            for url in urls:
                _, headers, body = request("GET", server.port, url)
                total += len(gzip.compress(body))
                cache_ok &= "immutable" in headers.get("Cache-Control", "") and bool(
                    re.search(r"\.[0-9a-f]{10}\.", url)
                )
            foreign = [url for url in loaded if not url.startswith("/")]
        report.add(
            f"page weight, gzip ({len(urls)} static files)",
            f"{total / 1024:.1f} KB",
            "<= 100 KB",
            total <= 100 * 1024,
        )
        report.add("requests to other hosts", str(len(foreign)), "0", not foreign)
        report.add("static files hashed + immutable", "yes" if cache_ok else "no", "yes", cache_ok)
    finally:
        database.drop()


# --- the run --------------------------------------------------------------------------


def postgres_available() -> bool:
    try:
        psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3).close()
        return True
    except psycopg.OperationalError:
        return False


def write_results(report: Report, seconds: float) -> None:
    machine = f"{platform.node()}: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    body = (
        (ROOT / "benchmarks" / "RESULTS.md").read_text()
        if (ROOT / "benchmarks" / "RESULTS.md").exists()
        else ""
    )
    notes = body.split("<!-- notes -->", 1)[1] if "<!-- notes -->" in body else "\n"
    text_ = (
        "# Benchmark results\n\n"
        f"Run of `make bench` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {machine}, "
        f"in {seconds / 60:.1f} minutes.\n\n{report.table()}\n\n<!-- notes -->{notes}"
    )
    (ROOT / "benchmarks" / "RESULTS.md").write_text(text_)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="tiny load, no RESULTS.md (smoke test)"
    )
    parser.add_argument(
        "--only",
        choices=["page", "flat", "sign", "export", "backup", "weight", "crypto"],
        action="append",
    )
    parser.add_argument("--sign-seconds", type=int, help="override the signing duration")
    parser.add_argument("--rows", type=int, help="override the export and flat-page row counts")
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        action="append",
        help="measure signing and export on these only (default: both, PostgreSQL if reachable)",
    )
    args = parser.parse_args()
    settings = Settings.quick() if args.quick else Settings.full()
    if args.sign_seconds:
        settings.sign_seconds = args.sign_seconds
    if args.rows:
        settings.export_rows = settings.flat_rows = args.rows
    if shutil.which("wrk") is None:
        print("wrk is not installed (make bench installs it)", file=sys.stderr)
        return 2
    kinds = args.database or ["sqlite", "postgresql"]
    if "postgresql" in kinds and not postgres_available():
        print(
            f"PostgreSQL at {POSTGRES_ADMIN_URL} not reachable: measuring SQLite only", flush=True
        )
        kinds.remove("postgresql")
    wanted = set(args.only or ["page", "flat", "sign", "export", "backup", "weight", "crypto"])
    report = Report()
    started = time.perf_counter()
    print(f"  {'measurement':<58} {'figure':>22}  {'target':<16} result", flush=True)
    with tempfile.TemporaryDirectory(prefix="campaign-bench-") as tmp:
        workdir = Path(tmp)
        if "page" in wanted:
            bench_page(report, settings, workdir)
        if "flat" in wanted:
            bench_flat_page(report, settings, workdir)
        if "weight" in wanted:
            bench_weight(report, workdir)
        if "crypto" in wanted:
            bench_crypto(report, settings)
        for kind in kinds:
            if "sign" in wanted:
                bench_signing(report, settings, workdir, kind)
                if kind == "postgresql":
                    bench_database_ceiling(report, settings, workdir)
            if "export" in wanted:
                bench_export(report, settings, workdir, kind)
            if "backup" in wanted:
                bench_backup(report, settings, workdir, kind)
    elapsed = time.perf_counter() - started
    print(f"done in {elapsed / 60:.1f} minutes", flush=True)
    if not (args.quick or args.only or args.sign_seconds or args.rows or args.database):
        write_results(report, elapsed)
        print("wrote benchmarks/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
