"""Signing through nginx in front of one gunicorn origin, then of two
(`python -m benchmarks.origins [--seconds 20] [--rounds 3] [--clients 50]`, about 3 minutes).

Both on one throwaway PostgreSQL database and the Redis at BENCH_REDIS_URL, nginx with
deploy/nginx/campaign_site.conf and campaign_site_origins.conf (least_conn), each origin
with gunicorn.conf.py's own worker count. The load generator is benchmarks/loadgen.py's
(real form posts, a different X-Forwarded-For per request; TRUSTED_PROXIES=2, as behind a
CDN, so the app sees those addresses past nginx); every acknowledged signature is looked up.
Rounds alternate one and two origins, so a change in the machine's load hits both alike.
Everything shares this machine's cores: two origins there compete for the same CPUs.
"""

import argparse
import os
import secrets
import shutil
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from benchmarks.bench import ROOT, Browser, Database, Server, production_env, request
from benchmarks.loadgen import run_signing_load
from scripts.compress_static import compress
from scripts.nginx_loopback import nginx_in_front


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            request("GET", port, "/healthz")
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _round(database: Database, origins: list[Server], folder: Path, args) -> dict:
    static = folder / "static"
    if not static.exists():
        shutil.copytree(ROOT / "static", static, ignore=shutil.ignore_patterns("*.gz"))
        compress(static)
    port = _free_port()
    nginx_folder = folder / f"nginx-{secrets.token_hex(3)}"
    with nginx_in_front(
        nginx_folder, [o.port for o in origins], port, static, workers=os.cpu_count() or 1
    ):
        _wait_for(port)
        form = Browser(port).signing_form()
        run = f"o{len(origins)}{secrets.token_hex(3)}"
        result = run_signing_load(port, form, "", run, args.clients, args.seconds)
    stored = database.emails_like(run + "-")
    return {
        "rate": len(result["acked"]) / args.seconds,
        "lost": len(set(result["acked"]) - set(stored)),
        "errors": len([f for f in result["failures"] if not isinstance(f[1], int) or f[1] >= 500]),
        "p50": result["p50_ms"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-origins-"))
    database = Database("postgresql", folder)
    results: dict[int, list[dict]] = {1: [], 2: []}
    try:
        env = production_env(database.url, TRUSTED_PROXIES=2)
        with ExitStack() as stack:
            servers = [
                stack.enter_context(
                    Server("campaign_site:create_app()", env, folder / f"origin-{n}.log")
                )
                for n in range(2)
            ]
            for _ in range(args.rounds):
                for count in (1, 2):
                    results[count].append(_round(database, servers[:count], folder, args))
                    print(count, results[count][-1], flush=True)
    finally:
        database.drop()
        shutil.rmtree(folder, ignore_errors=True)
    for count, rounds in results.items():
        rates = " / ".join(f"{r['rate']:.0f}" for r in rounds)
        print(
            f"{count} origin(s) behind nginx: median {statistics.median(r['rate'] for r in rounds):.0f}"
            f" sig/s (rounds {rates}), p50 {statistics.median(r['p50'] for r in rounds):.0f} ms,"
            f" lost {sum(r['lost'] for r in rounds)}, 5xx {sum(r['errors'] for r in rounds)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
