"""Campaign updates: queueing one for 100,000 supporters, and the mail worker
sending it, against references measured in the same run.

1. Queueing: `updates.send` (one INSERT ... SELECT) for 100,000 recipients, timed, its
   memory (tracemalloc peak and peak-RSS growth) against the same for 10,000.
2. One worker (`flask mail-worker --once`, a subprocess with the production config) against
   aiosmtpd in a process of its own; the ceiling is the same messages, built beforehand,
   sent with plain smtplib over one connection to the same kind of server.
3. Two workers sharing the queue: each recipient must receive exactly one message.
4. A worker killed (SIGKILL) half-way, then a fresh one: nothing lost, and sent twice at
   most what was in flight at the kill.
5. Below 200/s (or with --profile): where one worker's time goes, deliver_due in this
   process under cProfile, its steps read from the profile by function name.

Signatures are bulk-inserted (each one sealed for a real, distinct address, which costs
microseconds) into a throwaway database per engine, migrated as bench.py does.

    .venv/bin/python -m benchmarks.updates [--database sqlite] [--quick] [--profile]
        [--recipients 100000] [--messages 3000]

--quick (1,000 recipients, 200 messages, about 2 minutes for both engines) is a smoke test.
"""

import argparse
import cProfile
import importlib
import os
import pstats
import re
import resource
import signal
import smtplib
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import psycopg
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import func, select, update

from benchmarks.bench import (
    BIN,
    BLIND_KEYRING,
    DATA_KEYRING,
    KEYS,
    ROOT,
    Database,
    free_port,
    postgres_available,
    production_env,
)
from campaign_site import create_app
from campaign_site.crypto.mailbox_index import blind_index
from campaign_site.crypto.sealed_box import Person, open_box, seal
from campaign_site.extensions import db
from campaign_site.mail import outbox, update_messages
from campaign_site.mail.messages import supporter_links
from campaign_site.mail.transports import MAIL_POLICY, SmtpTransport
from campaign_site.models import CampaignUpdate, OutboxMessage, Signature, UpdateStatus, utcnow
from campaign_site.petition import updates

QUEUE_SECONDS, WORKER_RATE = 10.0, 200.0  # the targets: 10 s to queue 100,000, 200 messages/s
# MAIL_RATE_PER_MINUTE for the measurements: far above what one machine sends, so the
# pace (a token bucket in mail_pace) is taken on every claim but never holds a message back.
UNPACED = 10_000_000
ORGANISER = "organiser@example.org"
PUBLIC_URL = "https://petition.example.org"
CONTENT_FILE = str(ROOT / "tests" / "content" / "campaign.toml")
TEXTS = {
    "en": updates.Text(
        "The Magnitsky Files at a screening near you",
        "Dear supporters,\n\nThank you for signing. The film is shown in twelve cities this "
        "month; find yours at https://example.org/screenings.\n\nThe campaign",
    ),
    "de": updates.Text(
        "Neuigkeiten der Kampagne",
        "Liebe Unterstützerinnen und Unterstützer,\n\nvielen Dank. Alle Vorführungen: "
        "https://example.org/screenings.\n\nDie Kampagne",
    ),
}
LANGUAGES = ["en", "de", "ru", "uk"]  # ru and uk fall back to the English text
COLUMNS = (
    "personal, email_hash, country, language, keep_informed, show_name, signed_at, status, "
    "confirmed_at, token_nonce, review_marks, mailbox_proven"
)
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"  # what SQLAlchemy stores for a DateTime on SQLite
PROFILED = 1_000  # messages each pass of where_time_goes follows
BATCH = 100  # the worker's --batch-size (its default)
WORKER_LINE = re.compile(r"mail-worker: sent (\d+)")


@dataclass
class Settings:
    """How big each measurement is."""

    recipients: int  # target 1
    reference_recipients: int  # its reference
    messages: int  # targets 2-4

    @classmethod
    def full(cls) -> "Settings":
        return cls(recipients=100_000, reference_recipients=10_000, messages=3_000)

    @classmethod
    def quick(cls) -> "Settings":
        return cls(recipients=1_000, reference_recipients=100, messages=200)


def line(name: str, value: str, target: str = "", passed: bool | None = None) -> None:
    verdict = {True: "PASS", False: "MISS", None: ""}[passed]
    print(f"  {name:<66} {value:>24}  {target:<10} {verdict}", flush=True)


# --- signatures -------------------------------------------------------------------------


def address(n: int) -> str:
    return f"supporter{n}@example.org"


def signature_rows(count: int, now: datetime) -> Iterator[tuple]:
    """Confirmed supporters who asked for news and proved their mailbox, each sealed for a
    distinct address under the run's keys, so the worker can open and mail every one."""
    confirmed = now - timedelta(days=1)
    for n in range(count):
        email = address(n)
        person = Person("Supporter", f"Nummer{n}", email, None)
        yield (
            seal(person, DATA_KEYRING),
            blind_index(email, BLIND_KEYRING.current),
            "DE",
            LANGUAGES[n % len(LANGUAGES)],
            True,
            False,
            confirmed - timedelta(minutes=5),
            "confirmed",
            confirmed,
            f"{n:032x}",
            "",
            True,
        )


def seed(database: Database, count: int) -> float:
    """Bulk-insert count signatures (COPY on PostgreSQL); returns seconds taken."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    if database.kind == "postgresql":
        with psycopg.connect(database.url.replace("+psycopg", "")) as connection:
            with connection.cursor().copy(f"COPY signature ({COLUMNS}) FROM STDIN") as copy:
                for row in signature_rows(count, now):
                    copy.write_row(row)
            connection.commit()
            connection.autocommit = True
            connection.execute("VACUUM ANALYZE signature")
    else:
        connection = sqlite3.connect(database.path)
        with connection:
            connection.executemany(
                f"INSERT INTO signature ({COLUMNS}) VALUES ({', '.join('?' * 12)})",
                (
                    tuple(
                        v.strftime(SQLITE_DATETIME) if isinstance(v, datetime) else v for v in row
                    )
                    for row in signature_rows(count, now)
                ),
            )
        connection.execute("ANALYZE")
        connection.close()
    return time.perf_counter() - started


# --- the app in this process ------------------------------------------------------------


def make_app(database: Database, smtp_port: int = 25) -> Flask:
    """The app on the throwaway database with the run's keys, for what runs in-process
    (queueing, building the reference messages, the profile)."""
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database.url,
            **KEYS,
            "PUBLIC_URL": PUBLIC_URL,
            "CONTENT_FILE": CONTENT_FILE,
            "MAIL_SMTP_HOST": "127.0.0.1",
            "MAIL_SMTP_PORT": smtp_port,
            "MAIL_SMTP_STARTTLS": False,
            "MAIL_RATE_PER_MINUTE": UNPACED,
        }
    )


def close(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _kilobytes(field: str) -> int:
    return int(re.search(rf"{field}:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1))


@dataclass
class Queued:
    update_id: int
    queued: int
    seconds: float
    python_peak_mb: float  # tracemalloc: what Python allocated at most during the send
    rss_growth_mb: float  # peak resident size during the send, above the size before it


def queue_update(app: Flask, expected: int) -> Queued:
    """A new draft to everyone, sent: timed, with the process's memory watched throughout.

    The peak RSS is reset just before (/proc/self/clear_refs), so VmHWM afterwards is the
    peak of the send alone; it also sees SQLite's own allocations, which tracemalloc cannot.
    """
    with app.app_context():
        update_id = updates.create_draft(ORGANISER, TEXTS, updates.Audience())
        rss_before = _kilobytes("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")
        tracemalloc.start()
        started = time.perf_counter()
        queued = updates.send(update_id, ORGANISER, utcnow(), expected)
        seconds = time.perf_counter() - started
        _, python_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_growth = _kilobytes("VmHWM") - rss_before
        db.session.remove()
    return Queued(update_id, queued, seconds, python_peak / 2**20, max(rss_growth, 0) / 1024)


def build_update_message(signature: Signature, update_id: int) -> EmailMessage | None:
    """The update for one supporter built with the email package, message by message: the
    reference the worker's batch path (update_mailing) is measured against. None if they no
    longer want it (unsubscribed, withdrawn, no longer counted) or the update was cancelled."""
    campaign_update = db.session.get(CampaignUpdate, update_id)
    if campaign_update is None or campaign_update.status != UpdateStatus.SENDING:
        return None
    if not updates.wants_updates(signature):
        return None
    found = updates.text_for(update_id, signature.language)
    if found is None:
        return None
    language, text = found
    person = open_box(signature.identity)
    if signature.discreet_mail:
        return update_messages.discreet_note(signature, update_id, person.email)
    with force_locale(language):
        return update_messages.compose(text, person.email, supporter_links(signature))


def build_messages(app: Flask, update_id: int) -> tuple[list[EmailMessage], float]:
    """Every message of an update, built as the worker builds them; and seconds per message."""
    with app.app_context():
        signatures = db.session.scalars(
            select(Signature)
            .join(OutboxMessage, OutboxMessage.signature_id == Signature.id)
            .where(OutboxMessage.update_id == update_id)
        ).all()
        started = time.perf_counter()
        messages = [build_update_message(signature, update_id) for signature in signatures]
        seconds = time.perf_counter() - started
        db.session.remove()
    assert all(messages), "a message could not be built"
    return messages, seconds / len(messages)


def outbox_state(app: Flask, update_id: int) -> dict[str, int]:
    """An update's outbox rows: recorded as sent, still queued, leased to a worker now."""
    now = utcnow()
    mine = OutboxMessage.update_id == update_id
    with app.app_context():
        sent, unsent, leased = db.session.execute(
            select(
                func.count().filter(OutboxMessage.sent_at.is_not(None)),
                func.count().filter(OutboxMessage.sent_at.is_(None)),
                func.count().filter(
                    OutboxMessage.sent_at.is_(None), OutboxMessage.leased_until > now
                ),
            ).where(mine)
        ).one()
        db.session.remove()
    return {"sent": sent, "unsent": unsent, "leased": leased}


def expire_leases(app: Flask, update_id: int) -> int:
    """What LEASE (5 minutes) does on its own, at once: the dead worker's claims come back."""
    with app.app_context():
        result = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.update_id == update_id,
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.leased_until.is_not(None),
            )
            .values(leased_until=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        db.session.remove()
    return result.rowcount


def final_figures(app: Flask, update_id: int) -> tuple[str, int | None, int | None]:
    """(status, sent, failed) as the update records them once finished (its outbox rows,
    the recipient list, are deleted then)."""
    with app.app_context():
        finished = db.session.get(CampaignUpdate, update_id)
        figures = (finished.status, finished.sent_count, finished.failed_count)
        db.session.remove()
    return figures


# --- the SMTP server, in a process of its own --------------------------------------------


class _ArrivalLog:
    """aiosmtpd handler: one line per recipient of each message, with the time it arrived;
    nothing parsed, so the server costs as little as it can."""

    def __init__(self, file) -> None:
        self.file = file

    async def handle_DATA(self, server, session, envelope) -> str:
        stamp = time.time()
        for recipient in envelope.rcpt_tos:
            self.file.write(f"{stamp:.6f} {recipient}\n")
        return "250 Message accepted"


def serve_smtp(port: int, log: Path) -> None:
    """Run aiosmtpd on loopback until standard input closes (the child side of SmtpServer)."""
    from aiosmtpd.controller import Controller

    with open(log, "a", buffering=1) as file:
        controller = Controller(
            _ArrivalLog(file), hostname="127.0.0.1", port=port, server_hostname="localhost"
        )
        controller.start()
        print("ready", flush=True)
        sys.stdin.read()
        controller.stop()


class SmtpServer:
    """aiosmtpd in a separate process, so it never shares a GIL with what it measures."""

    def __init__(self, workdir: Path, name: str) -> None:
        self.port = free_port()
        self.log = workdir / f"smtp-{name}.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "SmtpServer":
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.updates",
                "--serve-smtp",
                str(self.port),
                str(self.log),
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("the SMTP server did not start")
        return self

    def __exit__(self, *exc) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)

    def arrivals(self) -> list[tuple[float, str]]:
        if not self.log.exists():
            return []
        pairs = (row.split(" ", 1) for row in self.log.read_text().splitlines())
        return [(float(stamp), recipient) for stamp, recipient in pairs]

    def received(self) -> int:
        return self.log.read_bytes().count(b"\n") if self.log.exists() else 0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def steady_rate(arrivals: list[tuple[float, str]]) -> float:
    """Messages per second between the first and the last to arrive (start-up left out)."""
    stamps = sorted(stamp for stamp, _ in arrivals)
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


def tally(arrivals: list[tuple[float, str]], expected: set[str]) -> tuple[int, int, int]:
    """(sent twice or more: the extra copies, never received, received but not expected)."""
    counts = Counter(recipient for _, recipient in arrivals)
    duplicates = sum(count - 1 for count in counts.values())
    return duplicates, len(expected - counts.keys()), len(counts.keys() - expected)


def send_plainly(messages: list[EmailMessage], port: int) -> None:
    """The ceiling: pre-built messages through smtplib over one connection."""
    with smtplib.SMTP("127.0.0.1", port) as connection:
        for message in messages:
            connection.send_message(message)


def send_bytes(messages: list[EmailMessage], port: int) -> None:
    """SMTP alone: the same messages flattened beforehand, so only the dialogue is left."""
    flattened = [
        (message["To"], message.as_bytes(policy=MAIL_POLICY.clone(linesep="\r\n")))
        for message in messages
    ]
    sender = "petition@localhost"
    with smtplib.SMTP("127.0.0.1", port) as connection:
        for to, raw in flattened:
            connection.sendmail(sender, [to], raw)


# --- the worker, as deployed -------------------------------------------------------------


def worker_env(database: Database, port: int) -> dict:
    """`flask mail-worker` with the production config (bench.py's) on the loopback server."""
    return {
        **os.environ,
        **production_env(
            database.url,
            MAIL_SMTP_PORT=port,
            MAIL_SMTP_STARTTLS="false",
            MAIL_RATE_PER_MINUTE=UNPACED,
        ),
        "FLASK_APP": "campaign_site",
    }


def worker_command() -> list[str]:
    return [str(BIN / "flask"), "mail-worker", "--once", "--batch-size", str(BATCH)]


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    with open(log, "ab") as output:
        return subprocess.Popen(worker_command(), env=env, cwd=ROOT, stdout=output, stderr=output)


def sent_by(log: Path) -> int:
    """What a worker says it sent, from its own lines."""
    return sum(int(count) for count in WORKER_LINE.findall(log.read_text()))


def finish(process: subprocess.Popen, log: Path) -> None:
    """Wait for a worker; a failed run, or any message it had to retry, stops the benchmark
    with the worker's own words (a figure from a worker that could not send means nothing)."""
    code = process.wait(timeout=900)
    output = log.read_text()
    # `--once` ends with status 0 after an error on a pass (the error is only logged).
    trouble = r"will retry [1-9]|gave up [1-9]|Traceback|database unavailable|unexpected error"
    if code != 0 or re.search(trouble, output):
        raise RuntimeError(f"the mail worker did not send cleanly (exit {code}):\n{output[-3000:]}")


# --- the measurements --------------------------------------------------------------------


def measure_queueing(kind: str, settings: Settings, workdir: Path) -> None:
    """Target 1: the INSERT ... SELECT at 100,000 recipients against 10,000, each on a fresh
    database seeded with exactly its recipients."""
    results = {}
    for count in (settings.reference_recipients, settings.recipients):
        database = Database(kind, workdir)
        try:
            seeded = seed(database, count)
            line(f"seed {count:,} signatures (sealed, distinct addresses)", f"{seeded:.1f} s")
            app = make_app(database)
            try:
                results[count] = queue_update(app, count)
            finally:
                close(app)
        finally:
            database.drop()
        assert results[count].queued == count, results[count]
    small, large = results[settings.reference_recipients], results[settings.recipients]
    for count, result in results.items():
        line(
            f"queue an update to {count:,}: seconds, rows/s",
            f"{result.seconds:.2f} s, {count / result.seconds:,.0f}/s",
            f"<= {QUEUE_SECONDS:.0f} s" if result is large else "",
            result.seconds <= QUEUE_SECONDS if result is large else None,
        )
    line(
        f"  time {settings.recipients:,} / {settings.reference_recipients:,}",
        f"{large.seconds / small.seconds:.1f}x",
    )
    for count, result in results.items():
        line(
            f"  memory during it, {count:,}: Python peak / peak RSS growth",
            f"{result.python_peak_mb:.2f} / {result.rss_growth_mb:.1f} MB",
        )
    flat = large.rss_growth_mb <= small.rss_growth_mb + 5
    line(
        "  peak RSS growth, 100,000 vs 10,000 (flat: within 5 MB)"
        if settings.recipients == 100_000
        else "  peak RSS growth, large vs small (flat: within 5 MB)",
        f"{large.rss_growth_mb - small.rss_growth_mb:+.1f} MB",
        "flat",
        flat,
    )


def _ceiling(kind: str, workdir: Path, name: str, how, messages: list[EmailMessage]):
    """(msg/s first to last arrival, the SMTP server's CPU seconds) of one reference run."""
    with SmtpServer(workdir, f"{kind}-ceiling-{name}") as server:
        cpu = server.cpu_seconds()
        how(messages, server.port)
        return steady_rate(server.arrivals()), server.cpu_seconds() - cpu


def measure_worker(kind: str, app: Flask, database: Database, settings: Settings, workdir: Path):
    """Target 2: one worker against the smtplib ceiling, measured before and after it. Each
    ceiling run gets messages of its own, never flattened before (a second flattening of
    the same message takes half as long, and the worker flattens each message once); then
    SMTP alone, from bytes flattened beforehand, splits flattening from the dialogue."""
    update_id = queue_update(app, settings.messages).update_id
    messages, build_seconds = build_messages(app, update_id)
    fresh, _ = build_messages(app, update_id)  # for the second ceiling run
    before = _ceiling(kind, workdir, "before", send_plainly, messages)
    arrivals, wall, worker_cpu, server_cpu = _one_worker(kind, database, workdir)
    after = _ceiling(kind, workdir, "after", send_plainly, fresh)
    wire = _ceiling(kind, workdir, "bytes", send_bytes, fresh)
    duplicates, missing, _ = tally(arrivals, {address(n) for n in range(settings.messages)})
    n = settings.messages
    rate, ceiling = steady_rate(arrivals), (before[0] + after[0]) / 2
    line(
        f"one worker, {n:,} messages: msg/s, first to last arrival",
        f"{rate:.0f}/s",
        f">= {WORKER_RATE:.0f}/s",
        rate >= WORKER_RATE,
    )
    line("  wall time, the worker's start-up included", f"{wall:.1f} s ({n / wall:.0f}/s)")
    line(
        "  ceiling: smtplib, pre-built messages, one connection, before / after",
        f"{before[0]:.0f} / {after[0]:.0f}/s",
    )
    line("  worker / ceiling", f"{rate / ceiling:.2f}x")
    line("  SMTP alone: smtplib.sendmail of pre-flattened bytes", f"{wire[0]:.0f}/s")
    # A worker that writes bytes itself can beat the ceiling (it flattens no EmailMessage).
    line("  worker / SMTP alone", f"{rate / wire[0]:.2f}x")
    line(
        "  CPU per message: worker (start-up included) / SMTP server",
        f"{worker_cpu / n * 1000:.2f} / {server_cpu / n * 1000:.2f} ms",
    )
    line(
        "  SMTP server CPU per message, ceiling runs: before / bytes / after",
        " / ".join(f"{run[1] / n * 1000:.2f}" for run in (before, wire, after)) + " ms",
    )
    line(
        "  one message built in-process by build_update_message (the ceiling's)",
        f"{build_seconds * 1000:.2f} ms",
    )
    line(
        "  duplicates / missing",
        f"{duplicates} / {missing}",
        "0 / 0",
        (duplicates, missing) == (0, 0),
    )
    return rate


def _one_worker(kind: str, database: Database, workdir: Path):
    """`flask mail-worker --once` until the queue is empty: (arrivals, wall seconds, the
    worker's CPU seconds, the SMTP server's CPU seconds)."""
    with SmtpServer(workdir, f"{kind}-one-worker") as server:
        log = workdir / f"worker-{kind}-one.log"
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_cpu = server.cpu_seconds()
        started = time.perf_counter()
        finish(start_worker(worker_env(database, server.port), log), log)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        worker_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
        return server.arrivals(), wall, worker_cpu, server.cpu_seconds() - server_cpu


def measure_two_workers(
    kind: str, app: Flask, database: Database, settings: Settings, workdir: Path
):
    """Target 3: two workers started together on one queue; each address counted."""
    update_id = queue_update(app, settings.messages).update_id
    with SmtpServer(workdir, f"{kind}-two-workers") as server:
        env = worker_env(database, server.port)
        logs = [workdir / f"worker-{kind}-two-{n}.log" for n in (1, 2)]
        started = time.perf_counter()
        processes = [start_worker(env, log) for log in logs]
        for process, log in zip(processes, logs, strict=True):
            finish(process, log)
        wall = time.perf_counter() - started
        arrivals = server.arrivals()
    expected = {address(n) for n in range(settings.messages)}
    duplicates, missing, stray = tally(arrivals, expected)
    figures = final_figures(app, update_id)
    line(
        f"two workers, {settings.messages:,} messages: sent by each (their logs)",
        " + ".join(str(sent_by(log)) for log in logs),
    )
    line("  both together: msg/s, first to last arrival", f"{steady_rate(arrivals):.0f}/s")
    line("  wall time, both start-ups included", f"{wall:.1f} s")
    line(
        "  duplicates / missing / unexpected",
        f"{duplicates} / {missing} / {stray}",
        "0 / 0 / 0",
        (duplicates, missing, stray) == (0, 0, 0),
    )
    line(
        "  the update as recorded: status, sent, failed",
        ", ".join(map(str, figures)),
        "sent, all",
        figures == ("sent", settings.messages, 0),
    )


def measure_kill(kind: str, app: Flask, database: Database, settings: Settings, workdir: Path):
    """Target 4: SIGKILL a worker once about half has arrived; leases expired by hand (the
    5-minute LEASE would do it on its own); a fresh worker finishes. In flight: claimed by
    the dead worker (leased) and not recorded as sent."""
    update_id = queue_update(app, settings.messages).update_id
    expected = {address(n) for n in range(settings.messages)}
    with SmtpServer(workdir, f"{kind}-kill") as server:
        env = worker_env(database, server.port)
        log = workdir / f"worker-{kind}-killed.log"
        process = start_worker(env, log)
        # Half-way, and half-way through a batch: a kill between batches would find none in flight.
        half = settings.messages // 2 + BATCH // 2
        while server.received() < half and process.poll() is None:
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.wait()
        time.sleep(0.5)  # a message whose last line was on the wire is still logged
        at_kill = server.received()
        state = outbox_state(app, update_id)
        expired = expire_leases(app, update_id)
        log = workdir / f"worker-{kind}-after-kill.log"
        finish(start_worker(env, log), log)
        arrivals = server.arrivals()
    duplicates, missing, stray = tally(arrivals, expected)
    unrecorded = at_kill - state["sent"]
    figures = final_figures(app, update_id)
    line(
        f"kill -9 at {at_kill:,} of {settings.messages:,} arrived: recorded sent / in flight",
        f"{state['sent']:,} / {state['leased']}",
    )
    line("  arrived but not recorded as sent at the kill", str(unrecorded))
    line(f"  leases set to the past by hand (as if LEASE ran out): {expired}", "simulated")
    line(
        "  after a fresh worker: lost / unexpected",
        f"{missing} / {stray}",
        "0",
        missing == stray == 0,
    )
    line(
        "  the update as recorded: status, sent, failed",
        ", ".join(map(str, figures)),
        "sent, all",
        figures == ("sent", settings.messages, 0),
    )
    line(
        "  sent twice (at most those in flight at the kill)",
        str(duplicates),
        f"<= {state['leased']}",
        duplicates <= state["leased"],
    )


# Where present, the worker's batch path for update messages (read a batch at once, render
# once per language, write bytes): its steps are timed too; absent ones are left out.
try:
    update_mailing = importlib.import_module("campaign_site.mail.update_mailing")
except ImportError:
    update_mailing = None

# (label, file, function): the worker's steps, by their cumulative time in the profile;
# those never called (the other path, or the other name of a step) are not printed.
STEPS = [
    ("claim a batch (outbox.claim: lease, pace)", "outbox.py", "claim"),
    ("build a message (outbox._build)", "outbox.py", "_build"),
    ("  ORM reads (Session.get: outbox row, signature, update, text)", "scoping.py", "get"),
    ("  open the sealed box (sealed_box.open_box)", "sealed_box.py", "open_box"),
    ("  personal links (messages.supporter_links: 3 tokens)", "messages.py", "supporter_links"),
    ("  headers (messages.envelope)", "messages.py", "envelope"),
    ("  templates, text and HTML (flask render_template)", "templating.py", "render_template"),
    ("  text and HTML parts (EmailMessage.set_content, both)", "message.py", "set_content"),
    ("  (of the last three, the email package parsing headers)", "policy.py", "header_store_parse"),
    ("read a batch (update_mailing.read_batch)", "update_mailing.py", "read_batch"),
    ("render per update and language (update_mailing.prepare)", "update_mailing.py", "prepare"),
    ("write a message's bytes (update_mailing.wire_bytes)", "update_mailing.py", "wire_bytes"),
    ("send over SMTP (SmtpTransport.send)", "transports.py", "send"),
    ("send bytes over SMTP (SmtpTransport.send_raw)", "transports.py", "send_raw"),
    ("flatten messages (email generator)", "generator.py", "flatten"),
    ("waiting for the server's replies (smtplib getreply)", "smtplib.py", "getreply"),
    ("record it sent (outbox._update: one transaction)", "outbox.py", "_update"),
    ("record sent, several at once (outbox._record_sent)", "outbox.py", "_record_sent"),
    ("COMMIT, every transaction (Session.commit)", "session.py", "commit"),
    ("updates.finish_sent (after each batch)", "updates.py", "finish_sent"),
]


def deliver(app: Flask, count: int) -> int:
    """deliver_due in this process, batch after batch, until count messages are sent."""
    sent = 0
    with app.app_context():
        while sent < count:
            sent += outbox.deliver_due(SmtpTransport(app.config), BATCH).sent
            db.session.remove()
    return sent


def where_time_goes(kind: str, database: Database, settings: Settings, workdir: Path) -> None:
    """One worker's time, in this process on one update, under cProfile down to functions
    (read from the profile by name, nothing patched; cProfile slows Python, so its shares,
    not its rate, are what to read)."""
    count = min(settings.messages // 2, PROFILED)
    with SmtpServer(workdir, f"{kind}-profile") as server:
        app = make_app(database, server.port)
        try:
            queue_update(app, settings.messages)
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            sent = deliver(app, count)
            profiler.disable()
            total = time.perf_counter() - started
        finally:
            close(app)
    stats = pstats.Stats(profiler)
    line(f"the same, {sent:,} more messages under cProfile", f"{total:.1f} s")
    parent_ran = False
    for label, filename, function in STEPS:
        # The outermost of same-named functions (Session.commit calls SessionTransaction.commit).
        cumulative = max(
            (
                value[3]
                for (path, _, name), value in stats.stats.items()  # type: ignore[attr-defined]
                if name == function and path.endswith(filename)
            ),
            default=0.0,
        )
        nested = label.startswith("  ")
        parent_ran = parent_ran if nested else cumulative > 0
        if cumulative:
            shown = label if parent_ran or not nested else label.strip()
            line(f"  {shown}", f"{cumulative / total:.0%}, {cumulative / sent * 1000:.2f} ms/msg")
    own = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:8]  # type: ignore[attr-defined]
    for (path, number, name), value in own:
        where = f"{Path(path).name}:{number} {name}" if number else name
        line(f"  own time: {where[:60]}", f"{value[2] / total:.0%}")


def measure_delivery(kind: str, settings: Settings, workdir: Path, profile: bool) -> None:
    """Targets 2-4 on one database seeded once; each sends an update of its own."""
    database = Database(kind, workdir)
    app = make_app(database)
    try:
        seeded = seed(database, settings.messages)
        line(f"seed {settings.messages:,} signatures for the worker", f"{seeded:.1f} s")
        rate = measure_worker(kind, app, database, settings, workdir)
        measure_two_workers(kind, app, database, settings, workdir)
        measure_kill(kind, app, database, settings, workdir)
        if profile or rate < WORKER_RATE:
            where_time_goes(kind, database, settings, workdir)
    finally:
        close(app)
        database.drop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test)")
    parser.add_argument("--recipients", type=int, help="queueing size (default 100,000)")
    parser.add_argument("--messages", type=int, help="messages for the workers (default 3,000)")
    parser.add_argument("--profile", action="store_true", help="profile the worker even if fast")
    parser.add_argument("--serve-smtp", nargs=2, metavar=("PORT", "LOG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_smtp:
        serve_smtp(int(args.serve_smtp[0]), Path(args.serve_smtp[1]))
        return 0
    settings = Settings.quick() if args.quick else Settings.full()
    if args.recipients:
        settings.recipients = args.recipients
        settings.reference_recipients = max(args.recipients // 10, 1)
    if args.messages:
        settings.messages = args.messages
    kinds = args.database or (["sqlite", "postgresql"] if postgres_available() else ["sqlite"])
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="campaign-updates-") as workdir:
        for kind in kinds:
            print(f"{kind}:", flush=True)
            measure_queueing(kind, settings, Path(workdir))
            measure_delivery(kind, settings, Path(workdir), args.profile)
    print(f"done in {(time.perf_counter() - started) / 60:.1f} minutes", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
