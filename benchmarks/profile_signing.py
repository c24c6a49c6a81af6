"""Where one signature's time goes: `python -m benchmarks.profile_signing [sqlite|postgresql]`.

Signs N unique addresses through the WSGI app in one process (no HTTP server, no network
but the database's and Redis's), under cProfile, and splits the time per request into the
site's own steps. The database's commit is the durability floor: SQLite's fsync with
synchronous=FULL, PostgreSQL's WAL flush at commit.
"""

import cProfile
import os
import pstats
import secrets
import sys
import tempfile
import time
from urllib.parse import urlencode

from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from campaign_site import create_app

SIGNATURES = 2000
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
# The form is open only once the campaign's words are filled in, as in production.
CONTENT_FILE = os.path.join(os.path.dirname(__file__), "..", "tests", "content", "campaign.toml")

# (label, a function whose cumulative time is the step); what is left is Flask and Werkzeug.
STEPS = [
    ("the email check (email-validator)", "forms.py", "validate_email"),
    ("form validation, every field (WTForms, the email check included)", "form.py", "validate"),
    ("rate limits (one Redis round trip)", "rate_limits.py", "count_signature"),
    ("sealing the personal data (AES-GCM)", "sealed_box.py", "seal"),
    ("blind index (HMAC)", "mailbox_index.py", "blind_indexes"),
    ("INSERT ... RETURNING", "signing.py", "_insert_signature"),
    ("mail queue row", "mail_queue.py", "enqueue"),
    ("BEGIN and COMMIT (the flush to disk)", "database.py", "write_transaction"),
    ("the whole request (WSGI)", "app.py", "wsgi_app"),
]


def database_url(kind: str, folder: str) -> tuple[str, object]:
    if kind == "sqlite":
        return f"sqlite:///{folder}/profile.db", None
    name = f"campaign_profile_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{url}/{name}", (admin, name)


def main(kind: str) -> None:
    os.environ.setdefault("CONTENT_FILE", CONTENT_FILE)
    with tempfile.TemporaryDirectory() as folder:
        url, cleanup = database_url(kind, folder)
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "RATELIMIT_ENABLED": True,
                "RATELIMIT_STORAGE_URI": REDIS_URL,
                "RATELIMIT_KEY_PREFIX": f"profile-{secrets.token_hex(4)}",
                "SIGN_RATE_LIMIT": "1000000 per minute",
                "PUBLIC_CACHE_SECONDS": 2,  # as in production: the pause switch is read once per 2 s
            }
        )
        try:
            with app.app_context():
                upgrade()
            _profile(app)
        finally:
            with app.app_context():
                from campaign_site.extensions import db

                db.engine.dispose()
            if cleanup:
                admin, name = cleanup
                with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


def _profile(app) -> None:
    client = app.test_client(use_cookies=False)
    stamp = client.get("/api/form-stamp").get_json()["stamp"]
    bodies = [
        urlencode(
            {
                "given_name": "Profile",
                "family_name": "Supporter",
                "email": f"profile-{n}@example.org",
                "country": "DE",
                "postcode_city": "10115",
                "started": stamp,
            }
        )
        for n in range(SIGNATURES + 100)
    ]
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for body in bodies[:100]:  # warm up
        client.post("/sign", data=body, headers=headers)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for body in bodies[100:]:
        assert client.post("/sign", data=body, headers=headers).status_code == 303
    profiler.disable()
    elapsed = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    print(f"{SIGNATURES} signatures in one process: {SIGNATURES / elapsed:.0f}/s under cProfile")
    print("| Step | ms per signature (cumulative, profiled) |")
    print("| --- | ---: |")
    for label, filename, function in STEPS:
        total = sum(
            cumulative
            for (file, _line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items()
            if name == function and file.endswith(filename)
        )
        print(f"| {label} | {1000 * total / SIGNATURES:.2f} |")
    if os.environ.get("PROFILE_TOP"):
        stats.sort_stats("cumulative").print_stats(int(os.environ["PROFILE_TOP"]))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite")
