"""LOG_FORMAT=json: every line gunicorn and the app write is one JSON object, with link
tokens still replaced by [token]; the default stays text."""

import json
import logging
from pathlib import Path

import pytest
from ports import listening_socket, port_of, refusing_port
from servers import fetch, gunicorn_on, production_env, wait_until_serving

from campaign_site.petition import signing

ROOT = Path(__file__).resolve().parent.parent
SECRET = "SeCrEtToKeN.abc123-_xyz"
SHAPED = "WyJzZWNyZXRub25jZTAxMjM0NTY3ODkwMTIzNDUiXQ.axTDHw.Mp0k1D4wk5Cw5X3tYB-9MyQu49Y"


@pytest.mark.slow  # starts gunicorn
def test_gunicorn_and_the_app_write_json_lines_without_tokens(migrated_database_url, tmp_path):
    with refusing_port() as redis_port, listening_socket() as sock:
        port = port_of(sock)
        # A rate-limit store that does not answer: /healthz then logs a warning from the app.
        env = production_env(
            migrated_database_url, f"redis://127.0.0.1:{redis_port}", LOG_FORMAT="json"
        )
        server = gunicorn_on(sock, ROOT, {**env, "GUNICORN_WORKERS": "1"})
        try:
            wait_until_serving(port, server)
            for path in (f"/confirm/{SECRET}", f"/ru/unsubscribe/{SECRET}?x=1", f"/x/{SHAPED}"):
                fetch(port, "GET", path, headers={"Referer": f"https://example.org{path}"})
        finally:
            server.terminate()
            output = server.communicate(timeout=30)[0].decode()
    lines = [json.loads(line) for line in output.splitlines()]  # each one parses
    assert SECRET not in output and SHAPED not in output
    loggers = {line["logger"] for line in lines}
    assert {"gunicorn.error", "gunicorn.access", "campaign_site"} <= loggers
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    confirm = next(line for line in access if line["path"].startswith("/confirm/"))
    assert confirm["path"] == "/confirm/[token]" and confirm["method"] == "GET"
    assert "/confirm/[token]" in confirm["message"]
    assert {"time", "level", "message"} <= set(confirm)
    assert not any("127.0.0.1" in json.dumps(line) for line in access)  # no client address
    assert any("rate-limit store" in line["message"] for line in lines)


@pytest.fixture
def json_app(app_factory):
    """An app logging JSON; the app's logger gets its text handling back afterwards."""
    logger = logging.getLogger("campaign_site")
    before = list(logger.handlers)
    yield app_factory(LOG_FORMAT="json")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    for handler in before:
        logger.addHandler(handler)


def test_an_app_error_is_one_json_line_without_the_token(json_app, capsys, monkeypatch):
    def broken(token):
        raise RuntimeError(f"a bug while reading /confirm/{token}")

    monkeypatch.setattr(signing, "confirm_signature", broken)
    assert json_app.test_client().get(f"/confirm/{SECRET}").status_code == 500
    written = capsys.readouterr().err
    assert SECRET not in written
    [line] = [json.loads(text) for text in written.splitlines()]
    assert line["level"] == "error" and line["logger"] == "campaign_site"
    assert line["message"] == "unhandled error on GET /confirm/[token]"
    assert "a bug while reading /confirm/[token]" in line["exception"]


def test_a_log_format_that_is_neither_text_nor_json_stops_the_start(monkeypatch):
    from campaign_site.config import config_from_environment

    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(RuntimeError, match="LOG_FORMAT must be text or json"):
        config_from_environment()
