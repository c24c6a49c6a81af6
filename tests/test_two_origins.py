"""Two gunicorn origins (2 workers each, production settings) behind Debian's nginx with
deploy/nginx/campaign_site_origins.conf (least_conn, keep-alive), on one PostgreSQL
database and one Redis, with a mail worker per origin: the pause switch, the rate limits,
an admin's session, the public count, each email sent once, and a backup taken while both
origins take signatures, checked through nginx and on each origin directly."""

import json
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask_migrate import upgrade
from mailserver import MailServer
from ports import free_port, listening_socket, port_of
from servers import fetch, gunicorn_on, production_env, require_nginx, wait_until_serving
from sqlalchemy import create_engine, func, select
from support import csrf_token_from, current_code, in_a_fresh_minute, totp_secret_from

from campaign_site import create_app
from campaign_site.extensions import db
from campaign_site.models import Signature, SignatureCountShard
from scripts.compress_static import compress
from scripts.nginx_loopback import nginx_in_front

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CACHE_SECONDS = 2  # PUBLIC_CACHE_SECONDS: how long an origin's worker keeps a public page
NGINX_SECONDS = 5  # the pages' max-age, which nginx's micro-cache follows
SIGN_LIMIT = 5  # per address and minute, across both origins
PAUSED = "Signing is paused for a short while"
ADMIN, PASSWORD = "organiser@example.org", "a long organiser passphrase"


@dataclass
class Stack:
    nginx: int
    origins: list[int]
    env: dict
    database_url: str
    mail: MailServer
    tmp: Path
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def ports(self) -> list[int]:
        return [self.nginx, *self.origins]


@pytest.fixture(scope="module")
def stack(postgres_server, redis_url, tmp_path_factory) -> Iterator[Stack]:
    require_nginx()
    tmp = tmp_path_factory.mktemp("two-origins")
    url = postgres_server.create_database()
    migrating = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with migrating.app_context():
        upgrade()
        db.engine.dispose()
    static = tmp / "static"
    shutil.copytree(ROOT / "static", static, ignore=shutil.ignore_patterns("*.gz"))
    compress(static)
    mail = MailServer()
    mail.start()
    env = production_env(
        url,
        redis_url,
        GUNICORN_WORKERS="2",
        GUNICORN_ACCESS_LOG="",
        PUBLIC_URL="http://127.0.0.1",
        TRUSTED_PROXIES="1",
        PUBLIC_CACHE_SECONDS=str(CACHE_SECONDS),
        PUBLIC_CACHE_S_MAXAGE=str(NGINX_SECONDS),  # nginx keeps pages for s-maxage, not max-age
        SIGN_RATE_LIMIT=f"{SIGN_LIMIT} per minute",
        SIGNING_MIN_SECONDS="0",
        RATELIMIT_KEY_PREFIX=f"two-origins-{uuid.uuid4().hex}",
        DNS_NAMESERVERS="127.0.0.1",  # nothing answers: no MX lookup leaves the machine
        DNS_TIMEOUT_SECONDS="0.2",
        **{name: str(value) for name, value in mail.settings().items()},
    )
    processes: list[subprocess.Popen] = []
    try:
        with ExitStack() as sockets:
            origins = []
            for n in range(2):
                sock = sockets.enter_context(listening_socket())
                # One erasure ledger per machine, as on real hosts.
                ledger = tmp / f"erasures-{n}"
                ledger.mkdir()
                origin_env = {**env, "ERASURE_LEDGER_DIR": str(ledger)}
                processes.append(gunicorn_on(sock, ROOT, origin_env))
                processes.append(flask(origin_env, "mail-worker", "--interval", "0.5"))
                origins.append(port_of(sock))
            for port, server in zip(origins, processes[::2], strict=True):
                wait_until_serving(port, server)
            nginx_port = free_port()
            with nginx_in_front(tmp / "nginx", origins, nginx_port, static) as nginx:
                wait_until_serving(nginx_port, nginx)
                stack = Stack(nginx_port, origins, env, url, mail, tmp)
                log_in_with_second_factor(stack)
                yield stack
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.communicate(timeout=30)
        mail.stop()
        postgres_server.drop_database(url)


def flask(env: dict, *args: str, **options) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "flask"), "--app", "campaign_site", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **options,
    )


def run_flask(env: dict, *args: str, stdin: str = "") -> str:
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "campaign_site", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def request(stack: Stack, port: int, method: str, path: str, form=None, headers=None, admin=False):
    """One request to nginx or an origin, as a browser on that host sends it; admin=True
    carries the admin's cookies (and keeps what the site sets)."""
    sent = {"Origin": f"http://127.0.0.1:{port}", **(headers or {})}
    if admin and stack.cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in stack.cookies.items())
    body = None
    if form is not None:
        body = urlencode(form).encode()
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    status, got, data = fetch(port, method, path, body, sent)
    if admin:
        for cookie in got.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            stack.cookies[name] = value
    return status, got, data.decode()


def log_in_with_second_factor(stack: Stack) -> None:
    """create-admin on one origin's machine; the login and its code through nginx."""
    env = {**stack.env, "ERASURE_LEDGER_DIR": str(stack.tmp / "erasures-0")}
    secret = totp_secret_from(run_flask(env, "create-admin", ADMIN, stdin=PASSWORD + "\n"))
    port = stack.nginx
    _, _, page = request(stack, port, "GET", "/admin/login", admin=True)
    form = {"email": ADMIN, "password": PASSWORD, "csrf_token": csrf_token_from(page)}
    status, _, _ = request(stack, port, "POST", "/admin/login", form, admin=True)
    assert status == 303, status
    _, _, page = request(stack, port, "GET", "/admin/login/code", admin=True)
    form = {"code": current_code(secret), "csrf_token": csrf_token_from(page)}
    status, _, _ = request(stack, port, "POST", "/admin/login/code", form, admin=True)
    assert status == 303, status


def sign(stack: Stack, port: int, email: str, address: str = "198.51.100.1") -> int:
    """A signature, from a visitor at address (the proxy's X-Forwarded-For)."""
    form = {"given_name": "Ada", "family_name": "Lovelace", "email": email, "country": "GB"}
    headers = {"X-Forwarded-For": address}
    return request(stack, port, "POST", "/sign", form, headers)[0]


def within(seconds: float, check: Callable[[], bool]) -> float:
    """Poll check until it holds; how long it took (fails after seconds)."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < seconds, f"not within {seconds} s"
        time.sleep(0.1)
    return time.monotonic() - start


def press(stack: Stack, action: str) -> None:
    _, _, page = request(stack, stack.nginx, "GET", "/admin/signing", admin=True)
    form = {"action": action, "csrf_token": csrf_token_from(page)}
    status, _, _ = request(stack, stack.nginx, "POST", "/admin/signing", form, admin=True)
    assert status == 303, status


def test_pause_and_resume_show_at_once_to_the_admin_and_within_the_cache_period_to_all(stack):
    for action, admin_says, public_paused in (
        ("pause", "Signing is paused.", True),
        ("resume", "Signing is open.", False),
    ):
        press(stack, action)
        # The admin's pages read the switch uncached: right on any origin and worker at once
        # (four requests per origin reach both of its workers, whichever takes each).
        for port in stack.ports:
            for page in ("/admin/", "/admin/signing") * 2:
                status, _, body = request(stack, port, "GET", page, admin=True)
                assert status == 200 and admin_says in body, (port, page)

        def public_follows(port: int, public_paused: bool = public_paused) -> bool:
            pages = [request(stack, port, "GET", "/")[2] for _ in range(4)]
            return all((PAUSED in page) == public_paused for page in pages)

        for port in stack.origins:
            within(CACHE_SECONDS + 1.5, lambda port=port: public_follows(port))
        within(CACHE_SECONDS + NGINX_SECONDS + 1.5, lambda: public_follows(stack.nginx))
        expected = 503 if public_paused else 303
        for n, port in enumerate(stack.origins):
            assert sign(stack, port, f"{action}{n}@example.org", f"198.51.100.{10 + n}") == expected


def test_one_rate_limit_counts_an_address_across_both_origins(stack):
    in_a_fresh_minute()
    a, b = stack.origins
    address = "203.0.113.77"
    statuses = [
        sign(stack, (a, b)[n % 2], f"limit{n}@example.org", address) for n in range(SIGN_LIMIT)
    ]
    assert statuses == [303] * SIGN_LIMIT
    assert sign(stack, a, "limit-a@example.org", address) == 429
    assert sign(stack, b, "limit-b@example.org", address) == 429
    assert sign(stack, b, "other@example.org", "203.0.113.78") == 303  # another address


def test_the_admin_session_from_nginx_opens_the_admin_on_each_origin(stack):
    for port in stack.ports:
        status, _, body = request(stack, port, "GET", "/admin/", admin=True)
        assert status == 200 and ADMIN in body, port
        anonymous, headers, _ = request(stack, port, "GET", "/admin/")
        assert anonymous in (302, 303) and "/admin/login" in headers["Location"]


def links_to(stack: Stack, address: str) -> list[str]:
    return [
        message.get_body(preferencelist=("plain",)).get_content()
        for message in stack.mail.inbox.to(address)
    ]


def test_two_mail_workers_send_each_message_once_and_both_origins_count_alike(stack):
    emails = [f"mail{n}@example.org" for n in range(12)]
    for n, email in enumerate(emails):
        port = stack.ports[n % 3]
        assert sign(stack, port, email, f"192.0.2.{n + 1}") == 303
    within(30, lambda: all(links_to(stack, email) for email in emails))
    time.sleep(2)  # four more of the workers' passes: nothing is sent again
    for email in emails:
        [text] = links_to(stack, email)
        [link] = re.findall(r"http://127\.0\.0\.1(/confirm/\S+)", text)
        status, _, _ = request(stack, stack.origins[len(link) % 2], "GET", link)
        assert status == 200

    def same_count() -> bool:
        counts = [
            json.loads(request(stack, port, "GET", "/api/count")[2])["count"]
            for port in stack.ports
            for _ in range(2)
        ]
        return len(set(counts)) == 1 and counts[0] >= len(emails)

    within(CACHE_SECONDS + NGINX_SECONDS + 2, same_count)


def test_a_backup_taken_while_both_origins_sign_restores_consistently(stack, postgres_server):
    stop = threading.Event()
    signed: list[int] = []

    def keep_signing(port: int, tag: str) -> None:
        n = 0
        while not stop.is_set():
            signed.append(
                sign(
                    stack,
                    port,
                    f"backup-{tag}{n}@example.org",
                    f"10.{n // 250 % 250}.{n % 250}.{len(tag)}",
                )
            )
            n += 1

    engine = create_engine(stack.database_url)
    threads = [
        threading.Thread(target=keep_signing, args=(port, tag))
        for port, tag in zip(stack.origins, ("a", "bb"), strict=True)
    ]
    path = stack.tmp / "during.backup"
    try:
        with engine.connect() as connection:
            before = connection.scalar(select(func.count()).select_from(Signature))
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        env = {**stack.env, "ERASURE_LEDGER_DIR": str(stack.tmp / "erasures-0")}
        run_flask(env, "backup", "create", str(path))
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join()
        with engine.connect() as connection:
            after = connection.scalar(select(func.count()).select_from(Signature))
    finally:
        stop.set()
        engine.dispose()
    assert set(signed) == {303} and after - before == len(signed) > 0
    run_flask(env, "backup", "verify", str(path))

    target = postgres_server.create_database()
    try:
        run_flask({**env, "DATABASE_URL": target}, "backup", "restore", str(path))
        restored = create_engine(target)
        try:
            with restored.connect() as connection:
                rows = connection.scalar(select(func.count()).select_from(Signature))
                confirmed = connection.scalar(
                    select(func.count()).where(Signature.status == "confirmed")
                )
                shards = connection.scalar(select(func.sum(SignatureCountShard.count)))
        finally:
            restored.dispose()
    finally:
        postgres_server.drop_database(target)
    # One snapshot: the signatures up to some moment during the signing, and a count that
    # agrees with the rows it holds.
    assert before <= rows <= after
    assert shards == confirmed
