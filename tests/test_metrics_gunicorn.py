"""Under gunicorn with two workers, /metrics adds up what every worker counted
(prometheus_client's multiprocess mode, with gunicorn.conf.py preparing the folder)."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from metrics_support import AUTH, TOKEN, samples, value
from ports import listening_socket, port_of
from servers import fetch, gunicorn_on, production_env, wait_until_serving

pytestmark = pytest.mark.slow  # starts gunicorn

ROOT = Path(__file__).resolve().parent.parent
ROUNDS, PER_ROUND = 6, 12


def test_two_workers_counts_add_up_in_metrics(migrated_database_url, redis_url, tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"left by an earlier run")  # unreadable if kept
    env = production_env(
        migrated_database_url,
        redis_url,
        GUNICORN_WORKERS="2",
        PROMETHEUS_MULTIPROC_DIR=str(folder),
        METRICS_TOKEN=TOKEN,
        RATELIMIT_KEY_PREFIX=f"test-{tmp_path.name}",
    )
    with listening_socket() as sock:
        port = port_of(sock)
        server = gunicorn_on(sock, ROOT, env)
        try:
            wait_until_serving(port, server)
            sent = 0
            # Until both workers have answered some (the kernel chooses who accepts).
            for _ in range(ROUNDS):
                sent += _invalid_signatures(port, PER_ROUND)
                if len(_workers_with_counts(folder)) == 2:
                    break
            assert len(_workers_with_counts(folder)) == 2
            status, headers, body = fetch(port, "GET", "/metrics", headers=AUTH)
        finally:
            server.terminate()
            server.communicate(timeout=30)
    assert status == 200 and headers["Cache-Control"] == "no-store"
    found = samples(body.decode())
    assert value(found, "campaign_site_signing_attempts_total", outcome="invalid") == sent
    assert value(found, "campaign_site_http_responses_total", route="sign", code="422") == sent
    assert value(found, "campaign_site_http_request_duration_seconds_count", route="sign") == sent
    assert value(found, "campaign_site_database_up") == 1
    assert value(found, "campaign_site_rate_limit_store_up") == 1


def _invalid_signatures(port: int, count: int) -> int:
    """count empty forms posted at once, each on its own connection: 422 each."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        statuses = list(pool.map(lambda _: fetch(port, "POST", "/sign", b"")[0], range(count)))
    assert statuses == [422] * count
    return count


def _workers_with_counts(folder) -> set[str]:
    """The worker processes that have written counters (counter_<pid>.db)."""
    return {path.stem.split("_")[-1] for path in folder.glob("counter_*.db")}
