"""deploy/nginx/campaign_site.conf, run by Debian's nginx on loopback in front of gunicorn:
public pages micro-cached, signing and links straight through, static files from disk
pre-compressed, bodies limited, and no link token in the access log."""

import gzip
import re
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from ports import free_port, listening_socket, port_of
from servers import fetch, gunicorn_on, production_env, require_nginx, wait_until_serving
from sqlalchemy import create_engine, func, select

from campaign_site.models import Signature
from scripts.compress_static import compress
from scripts.nginx_loopback import nginx_in_front

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET_TOKEN = "TOKEN-THAT-MUST-NOT-BE-LOGGED"
# Shaped like the site's real tokens (payload.timestamp.signature), under no link word.
SHAPED_TOKEN = "WyJzZWNyZXRub25jZTAxMjM0NTY3ODkwMTIzNDUiXQ.axTDHw.Mp0k1D4wk5Cw5X3tYB-9MyQu49Y"


@pytest.fixture
def stack(tmp_path, migrated_database_url, redis_url, app_factory):
    """gunicorn (production settings) with nginx in front; yields (nginx port, tmp folder).
    The database is emptied afterwards (app_factory's clean-up): rows sealed under this
    run's random keys would make the next run's keys look wrong, and pause signing."""
    require_nginx()
    app_factory()
    static = tmp_path / "static"
    shutil.copytree(ROOT / "static", static, ignore=shutil.ignore_patterns("*.gz"))
    assert compress(static) > 0
    with listening_socket() as sock:
        app_port = port_of(sock)
        env = production_env(
            migrated_database_url,
            redis_url,
            GUNICORN_WORKERS="2",
            GUNICORN_ACCESS_LOG="",
            PUBLIC_URL="http://127.0.0.1",
            TRUSTED_PROXIES="1",
        )
        app = gunicorn_on(sock, ROOT, env)
        try:
            wait_until_serving(app_port, app)
            nginx_port = free_port()
            with nginx_in_front(tmp_path, app_port, nginx_port, static) as nginx:
                wait_until_serving(nginx_port, nginx)
                yield nginx_port, tmp_path, static
        finally:
            app.terminate()
            app.communicate(timeout=30)


def signing_form(email: str) -> bytes:
    return urlencode(
        {"given_name": "Ada", "family_name": "Lovelace", "email": email, "country": "GB"}
    ).encode()


def test_nginx_caches_public_pages_and_passes_signing_straight_through(
    stack, migrated_database_url
):
    port = stack[0]

    statuses = []
    for _ in range(3):
        status, headers, body = fetch(port, "GET", "/de/")
        assert status == 200 and "Set-Cookie" not in headers
        statuses.append(headers["X-Cache-Status"])
    assert statuses[0] in {"MISS", "EXPIRED"} and statuses[1:] == ["HIT", "HIT"]
    _, tagged, tagged_body = fetch(port, "GET", "/de/?fbclid=IwAR0abc&utm_source=%3Cx%3E")
    assert tagged["X-Cache-Status"] == "HIT" and tagged_body == body  # junk shares the copy
    # A valid source code is a page of its own, with the code in the form.
    _, sourced, sourced_body = fetch(port, "GET", "/de/?source=ev-kino&fbclid=1")
    assert sourced["X-Cache-Status"] in {"MISS", "EXPIRED"}
    assert b'name="source" type="hidden" value="ev-kino"' in sourced_body
    _, again, again_body = fetch(port, "GET", "/de/?fbclid=2&source=ev-kino")
    assert again["X-Cache-Status"] == "HIT" and again_body == sourced_body
    assert "s-maxage=" in headers["Cache-Control"]  # the app's period still goes out
    status, headers, packed = fetch(port, "GET", "/de/", headers={"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(packed) == body
    assert headers["Vary"] == "Accept-Encoding"

    sign_headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": f"http://127.0.0.1:{port}",
    }
    for email in ("first@example.org", "second@example.org"):
        status, headers, _ = fetch(port, "POST", "/sign", signing_form(email), sign_headers)
        assert status == 303 and "X-Cache-Status" not in headers
    refused, _, _ = fetch(
        port,
        "POST",
        "/sign",
        signing_form("third@example.org"),
        {**sign_headers, "Sec-Fetch-Site": "cross-site"},
    )
    assert refused == 403
    engine = create_engine(migrated_database_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(Signature)).scalar() == 2
    finally:
        engine.dispose()

    status, headers, _ = fetch(port, "GET", "/admin/login")
    assert status == 200 and "X-Cache-Status" not in headers and "Set-Cookie" in headers


def test_nginx_serves_static_files_precompressed_and_immutable(stack):
    port, _, static = stack
    _, _, page = fetch(port, "GET", "/")
    css_path = next(
        line.split('href="')[1].split('"')[0]
        for line in page.decode().splitlines()
        if "stylesheet" in line
    )
    status, headers, body = fetch(port, "GET", css_path)
    assert status == 200 and body == (static / "css/site.css").read_bytes()
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    status, headers, packed = fetch(port, "GET", css_path, headers={"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip"
    assert packed == (static / "css/site.css.gz").read_bytes()  # the file made at build time
    assert fetch(port, "GET", "/static/css/nothing.0000000000.css")[0] == 404


def test_nginx_limits_bodies_and_keeps_tokens_and_queries_out_of_its_log(stack):
    port, tmp, _ = stack
    big = b"given_name=" + b"x" * 20_000
    status, _, _ = fetch(
        port, "POST", "/sign", big, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 413
    # Only the organisations' form takes a logo: up to 2 MB and 64 KB reach the app.
    logo_sized = b"name=" + b"x" * 1_000_000
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, _ = fetch(port, "POST", "/de/organisations/apply", logo_sized, form)
    assert status == 422  # the app's own answer: no logo
    status, _, _ = fetch(port, "POST", "/organisations/apply", b"x" * 2_200_000, form)
    assert status == 413
    for path in (
        f"/confirm/{SECRET_TOKEN}",
        f"/ru/withdraw/{SECRET_TOKEN}",
        f"//confirm/{SECRET_TOKEN}",
        f"/%63onfirm/{SECRET_TOKEN}",
        f"/WITHDRAW/{SECRET_TOKEN}",
        f"/withdraw;/{SECRET_TOKEN}",
        f"/no-such-page/{SHAPED_TOKEN}",
        "/?email=secret@example.org",
    ):
        fetch(port, "GET", path)
    deadline = time.monotonic() + 5
    log = ""
    while "/ru/withdraw/" not in log and time.monotonic() < deadline:
        time.sleep(0.1)
        log = (tmp / "access.log").read_text()
    assert '"GET /confirm/[token]"' in log and '"GET /ru/withdraw/[token]"' in log
    assert '"GET /WITHDRAW/[token]"' in log and '"GET /withdraw;/[token]"' in log
    assert '"GET /no-such-page/[token]"' in log
    assert SECRET_TOKEN not in log and SHAPED_TOKEN not in log
    assert "secret@example.org" not in log
    assert "127.0.0.1 " not in log  # no client address


def hidden_source(body: bytes) -> str:
    found = re.search(rb'name="source" type="hidden" value="([^"]*)"', body)
    assert found, body.decode()
    return found.group(1).decode()


def test_a_crafted_query_cannot_put_another_source_on_a_partners_page(stack):
    """nginx's cache key and the app's (behind it, for /embed) read the query as the page
    does: repeated crafted requests never change what a partner's visitors get."""
    port = stack[0]
    for path in ("/", "/de/", "/embed"):
        for _ in range(3):
            status, _, body = fetch(port, "GET", path + "?source=&source=partnerA&utm_source=x:y")
            assert status == 200 and hidden_source(body) in {"", "x:y"}
        for _ in range(5):
            status, _, body = fetch(port, "GET", path + "?source=partnerA")
            assert status == 200 and hidden_source(body) == "partnerA", path
