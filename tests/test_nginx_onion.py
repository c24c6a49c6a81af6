"""deploy/tor/: the onion service's nginx server block, run by Debian's nginx on loopback
beside deploy/nginx/campaign_site.conf in front of gunicorn, as Tor hands it connections;
and the torrc snippet, checked by Tor itself."""

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlencode

import pytest
from ports import free_port, listening_socket, port_of
from servers import fetch, gunicorn_on, production_env, require_nginx, wait_until_serving
from sqlalchemy import create_engine, select
from support import onion_address

from campaign_site.models import Signature
from scripts.compress_static import compress
from scripts.nginx_loopback import CONFIG, ONION_CONFIG, nginx_in_front

ROOT = Path(__file__).resolve().parent.parent
ONION = onion_address(3)
TOKEN = "TOKEN-THAT-MUST-NOT-BE-LOGGED"


@pytest.fixture
def stack(tmp_path, migrated_database_url, redis_url):
    """gunicorn (production, ONION_URL set) behind both server blocks: (clearnet port,
    onion port, tmp folder)."""
    require_nginx()
    static = tmp_path / "static"
    shutil.copytree(ROOT / "static", static, ignore=shutil.ignore_patterns("*.gz"))
    compress(static)
    with listening_socket() as sock:
        app_port = port_of(sock)
        env = production_env(
            migrated_database_url,
            redis_url,
            GUNICORN_WORKERS="1",
            GUNICORN_ACCESS_LOG="",
            PUBLIC_URL="http://127.0.0.1",
            ONION_URL=f"http://{ONION}",
            TRUSTED_PROXIES="1",
        )
        app = gunicorn_on(sock, ROOT, env)
        try:
            wait_until_serving(app_port, app)
            clearnet_port, onion_port = free_port(), free_port()
            with nginx_in_front(
                tmp_path, app_port, clearnet_port, static, onion=(onion_port, ONION)
            ) as nginx:
                wait_until_serving(clearnet_port, nginx)
                wait_until_serving(onion_port, nginx)
                yield clearnet_port, onion_port, tmp_path
        finally:
            app.terminate()
            app.communicate(timeout=30)


@pytest.mark.slow
def test_the_onion_serves_cached_pages_without_hsts_and_naming_the_public_url(stack):
    clearnet_port, onion_port, _ = stack
    # A client claiming https changes nothing: nginx tells the app it is http.
    over_onion = {"Host": ONION, "X-Forwarded-Proto": "https"}
    statuses = []
    for _ in range(3):
        status, headers, body = fetch(onion_port, "GET", "/ru/safety", headers=over_onion)
        assert status == 200
        assert "Strict-Transport-Security" not in headers and "Onion-Location" not in headers
        statuses.append(headers["X-Cache-Status"])
    assert statuses[0] in {"MISS", "EXPIRED"} and statuses[1:] == ["HIT", "HIT"]
    assert b'<link rel="canonical" href="http://127.0.0.1/ru/safety">' in body
    assert b"@GetBridgesBot" in body
    # The clearnet copy is kept apart (the key holds the host) and names the onion.
    _, clearnet, _ = fetch(clearnet_port, "GET", "/ru/safety?fbclid=1")
    assert clearnet["Onion-Location"] == f"http://{ONION}/ru/safety"
    # Static files come from disk on the onion as well.
    css = re.search(rb'href="(/static/css/site\.[0-9a-f]{10}\.css)"', body).group(1).decode()
    status, headers, _ = fetch(onion_port, "GET", css, headers={"Host": ONION})
    assert status == 200 and headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # A Host that is not the onion's is refused by the app behind it.
    assert fetch(onion_port, "GET", "/", headers={"Host": "evil.example"})[0] == 400


@pytest.mark.slow
def test_a_supporter_signs_through_the_onion_and_the_log_keeps_no_token(
    stack, migrated_database_url
):
    _, onion_port, tmp = stack
    form = urlencode(
        {"given_name": "Ольга", "family_name": "Т.", "email": "olga@example.org", "country": "RU"}
    ).encode()
    headers = {
        "Host": ONION,
        "Origin": f"http://{ONION}",
        "Sec-Fetch-Site": "same-origin",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    status, answer, _ = fetch(onion_port, "POST", "/ru/sign", form, headers)
    assert status == 303 and answer["Location"] == "/ru/thank-you"
    assert "X-Cache-Status" not in answer
    cross = {**headers, "Sec-Fetch-Site": "cross-site"}
    assert fetch(onion_port, "POST", "/ru/sign", form, cross)[0] == 403
    engine = create_engine(migrated_database_url)
    try:
        with engine.connect() as connection:
            assert len(connection.execute(select(Signature.id)).all()) == 1
    finally:
        engine.dispose()

    fetch(onion_port, "GET", f"/ru/withdraw/{TOKEN}", headers={"Host": ONION})
    log = (tmp / "onion-access.log").read_text()
    assert '"POST /ru/sign" 303' in log and '"GET /ru/withdraw/[token]"' in log
    assert TOKEN not in log and "127.0.0.1 " not in log


def location_blocks(config: Path) -> list[str]:
    """The static-files and public-pages locations of a server block, as written."""
    text = config.read_text()
    return re.findall(r'^    location ~ ".*?^    }$', text, re.S | re.M)


def test_the_onion_block_serves_the_same_locations_as_the_clearnet_one():
    """One list of public pages: a page added to one file and not the other would go
    uncached (or cached when it must not be) on one side only."""
    clearnet, onion = location_blocks(CONFIG), location_blocks(ONION_CONFIG)
    assert len(clearnet) == 3
    strip = re.compile(r"^\s*#.*\n", re.M)  # comments may differ
    assert [strip.sub("", block) for block in onion] == [strip.sub("", b) for b in clearnet]


def test_the_onion_block_listens_on_loopback_only_and_sends_no_hsts():
    text = ONION_CONFIG.read_text()
    assert re.findall(r"^\s*listen\s+([^;\s]+)", text, re.M) == ["127.0.0.1:8080"]
    assert "Strict-Transport-Security" not in text
    assert "proxy_set_header X-Forwarded-Proto http;" in text


def test_tor_accepts_the_torrc_snippet(tmp_path):
    tor = shutil.which("tor") or ("/usr/sbin/tor" if os.path.exists("/usr/sbin/tor") else None)
    if tor is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tor is not installed: `make tools` installs Debian's")
        pytest.skip("tor is not installed (make tools)")
    service = tmp_path / "service"
    service.mkdir(mode=0o700)
    torrc = (ROOT / "deploy/tor/torrc").read_text()
    assert torrc.count("/var/lib/tor/campaign_site/  # (test)") == 1
    assert "HiddenServicePort 80 127.0.0.1:8080  # (test)" in torrc
    assert re.search(r"^HiddenServiceVersion 3$", torrc, re.M)
    torrc_here = tmp_path / "torrc"
    torrc_here.write_text(torrc.replace("/var/lib/tor/campaign_site/", f"{service}/"))
    checked = subprocess.run(
        [tor, "--verify-config", "-f", str(torrc_here), "--DataDirectory", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
