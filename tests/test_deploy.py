"""Every documented way to run the site serves all four languages from a fresh clone, and a
production start with a missing or stale catalog fails loudly with the reason."""

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from ports import listening_socket, port_of
from servers import gunicorn_on, production_env, wait_until_serving

pytestmark = pytest.mark.slow  # each starts gunicorn or a fresh clone

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

RUSSIAN_TITLE = "Справедливость для Сергея Магнитского"
GREETINGS = {
    "/de/": "Gerechtigkeit für Sergei Magnitsky",
    "/ru/": RUSSIAN_TITLE,
    "/uk/": "Справедливість для Сергія Магнітського",
}


@pytest.fixture
def fresh_clone(tmp_path) -> Path:
    """The files git would commit, as `git clone` gives them: no compiled catalog, no venv."""
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    clone = tmp_path / "clone"
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    assert not list(clone.glob("campaign_site/translations/*/LC_MESSAGES/messages.mo"))
    return clone


def test_gunicorn_from_a_fresh_clone_serves_all_four_languages(
    fresh_clone, migrated_database_url, redis_url
):
    """As `make serve-prod`, the systemd unit and the Procfile start it: gunicorn.conf.py."""
    with listening_socket() as sock:
        _serve_every_language(sock, fresh_clone, migrated_database_url, redis_url)


def _serve_every_language(sock, fresh_clone, migrated_database_url, redis_url):
    port = port_of(sock)
    env = production_env(migrated_database_url, redis_url, GUNICORN_WORKERS="1")
    server = gunicorn_on(sock, fresh_clone, env)
    try:
        wait_until_serving(port, server)
        for path, title in GREETINGS.items():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
                assert title in response.read().decode()
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert "compiled" in output


@pytest.mark.parametrize("problem", ["missing", "stale"])
def test_a_production_start_with_a_bad_catalog_fails_loudly(
    fresh_clone, migrated_database_url, redis_url, problem
):
    env = production_env(migrated_database_url, redis_url, FLASK_APP="campaign_site")
    if problem == "stale":
        subprocess.run(
            [str(BIN / "pybabel"), "compile", "-d", "campaign_site/translations"],
            cwd=fresh_clone,
            check=True,
            capture_output=True,
        )
        po = fresh_clone / "campaign_site/translations/ru/LC_MESSAGES/messages.po"
        later = time.time() + 60
        os.utime(po, (later, later))  # a newer .po, as after a pull without a build
    result = subprocess.run(
        [str(BIN / "flask"), "routes"],
        cwd=fresh_clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Translation catalogs missing or older than their .po files" in result.stderr
    assert "translations/ru/LC_MESSAGES/messages.mo" in result.stderr
    assert "make translations" in result.stderr
