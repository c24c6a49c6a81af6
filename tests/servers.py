"""Starting the site as production does, for tests that run real servers (gunicorn, nginx)."""

import http.client
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from campaign_site.crypto.keyrings import new_key

BIN = Path(sys.executable).parent


def gunicorn_on(sock: socket.socket, cwd: Path, env: dict) -> subprocess.Popen:
    """gunicorn with the project's gunicorn.conf.py on a held socket (env binds fd://N)."""
    return subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "campaign_site:create_app()"],
        cwd=cwd,
        env={**env, "GUNICORN_BIND": f"fd://{sock.fileno()}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        pass_fds=[sock.fileno()],
    )


def production_env(database_url: str, redis_url: str, **extra) -> dict:
    return {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": "s" * 48,
        "DATABASE_URL": database_url,
        "PUBLIC_URL": "https://petition.example.org",
        "TRUSTED_HOSTS": "127.0.0.1",
        "MAIL_SMTP_HOST": "127.0.0.1",
        "DISCREET_MAIL_SENDER": "Notifications <noreply@notes.example.net>",
        "RATELIMIT_STORAGE_URI": redis_url,
        "DATA_ENCRYPTION_KEY": new_key(),
        "BLIND_INDEX_KEY": new_key(),
        **extra,
    }


def wait_until_serving(port: int, server: subprocess.Popen) -> None:
    """Until /healthz answers; the server's output if it exits first."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(server.stdout.read().decode())
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


def require_nginx() -> None:
    """Debian's nginx, or a skip (a failure in CI: `make tools` installs it)."""
    import pytest

    from scripts.nginx_loopback import nginx_binary

    if nginx_binary() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is not installed: `make tools` installs Debian's")
        pytest.skip("nginx is not installed (make tools)")


def fetch(port: int, method: str, path: str, body: bytes | None = None, headers=None):
    """One HTTP request to a loopback port: (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()
