"""Starting the site as production does, for tests that run real servers (gunicorn, nginx)."""

import os
import subprocess
import time
import urllib.request

from campaign_site.crypto.keyrings import new_key


def production_env(database_url: str, redis_url: str, **extra) -> dict:
    return {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": "s" * 48,
        "DATABASE_URL": database_url,
        "PUBLIC_URL": "https://petition.example.org",
        "TRUSTED_HOSTS": "127.0.0.1",
        "MAIL_SMTP_HOST": "127.0.0.1",
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
