"""Does a repeat signature take longer than a first one? (It must not: the time would tell
an observer whether an address has signed.)

Starts the production server (one sync worker, as `make serve-prod` runs it) on a fresh
database, then alternates first signatures (new addresses) and repeats (one address signed
before) over loopback, and prints the medians and their difference for each database.

    .venv/bin/python -m benchmarks.repeat_timing [--rounds 200] [--database sqlite]
"""

import argparse
import http.client
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.bench import Browser, Database, Server, postgres_available, production_env


def _post(connection: http.client.HTTPConnection, body: bytes, cookie: str) -> float:
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": cookie,
        "X-Forwarded-For": "10.0.0.1",
    }
    started = time.perf_counter()
    connection.request("POST", "/sign", body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    assert response.status == 303, response.status
    return elapsed


def measure(kind: str, rounds: int, workdir: Path) -> dict[str, float]:
    """Median milliseconds of first and repeat signatures, interleaved so noise hits both."""
    database = Database(kind, workdir)
    try:
        # No limit on signing: the measurement sends hundreds from one address.
        env = production_env(database.url, SIGN_RATE_LIMIT="100000 per minute")
        with Server(
            "campaign_site:create_app()", env, workdir / f"timing-{kind}.log", workers=1
        ) as server:
            browser = Browser(server.port)
            form = browser.signing_form()

            def body(email: str) -> bytes:
                return urlencode(
                    {
                        **form,
                        "given_name": "Timing",
                        "family_name": "Test",
                        "country": "DE",
                        "email": email,
                    }
                ).encode()

            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            repeat = body("repeat@example.org")
            _post(connection, repeat, browser.cookie)
            for n in range(20):  # warm-up, not counted
                _post(connection, body(f"warm{n}@example.org"), browser.cookie)
                _post(connection, repeat, browser.cookie)
            first, again = [], []
            for n in range(rounds):
                first.append(_post(connection, body(f"first{n}@example.org"), browser.cookie))
                again.append(_post(connection, repeat, browser.cookie))
            connection.close()
    finally:
        database.drop()
    first_ms, repeat_ms = statistics.median(first) * 1000, statistics.median(again) * 1000
    return {"first": first_ms, "repeat": repeat_ms, "difference": repeat_ms - first_ms}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], action="append")
    args = parser.parse_args()
    kinds = args.database or (["sqlite", "postgresql"] if postgres_available() else ["sqlite"])
    with tempfile.TemporaryDirectory() as workdir:
        for kind in kinds:
            result = measure(kind, args.rounds, Path(workdir))
            print(
                f"{kind}: first {result['first']:.2f} ms, repeat {result['repeat']:.2f} ms, "
                f"repeat - first {result['difference']:+.2f} ms (medians of {args.rounds})",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
