"""Invalidating 100,000 signatures while supporters keep signing.

Per engine: a throwaway database (bench.Database) seeded in bulk with ROWS confirmed
signatures at one catch-all domain (their domain hash made under the run's blind key), the
tally and the count shards to match. The site runs under gunicorn with production settings
(bench.Server); a load generator signs with unique addresses for the whole measurement.
First SECONDS of signing alone (the reference), then the same while this process
invalidates every signature of the domain in batches (petition/invalidation.py, as
/admin/fraud/apply does). Printed: the invalidation's time, signing throughput during it
against the reference, every acknowledged signature stored, and afterwards the invariant
count shards = confirmed rows = the tally's confirmed.

    .venv/bin/python -m benchmarks.invalidation [--rows 100000] [--database sqlite]
"""

import argparse
import secrets
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from benchmarks import bench, dashboard
from benchmarks.loadgen import run_signing_load
from campaign_site import create_app
from campaign_site.crypto.signal_hashes import domain_hashes

DOMAIN = "catch-all.example"
CLIENTS = 8


def seed(database: dashboard.Database, rows: int) -> None:
    """ROWS signatures (dashboard.py's bulk rows), then all of them confirmed at DOMAIN."""
    key_id = bench.BLIND_KEYRING.current_id
    dashboard.Database.seed(database, rows, key_id)
    hashed = domain_hashes(DOMAIN, bench.BLIND_KEYRING)[0]
    engine = create_engine(database.url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE signature SET status = 'confirmed', confirmed_at = signed_at,"
                " domain_hash = :hashed"
            ),
            {"hashed": hashed},
        )
        connection.execute(text("DELETE FROM signature_tally"))
        connection.execute(
            text(dashboard.TALLY_FROM_SIGNATURES.format(hour=_hour_sql(database.kind)))
        )
        connection.execute(text("UPDATE signature_count_shard SET count = 0"))
        connection.execute(
            text("UPDATE signature_count_shard SET count = :n WHERE shard = 0"), {"n": rows}
        )
    engine.dispose()


def _hour_sql(kind: str) -> str:
    if kind == "postgresql":
        return "date_trunc('hour', signed_at)"
    return "strftime('%Y-%m-%d %H:00:00.000000', signed_at)"


def invariant(database: bench.Database) -> tuple[int, int, int]:
    """(count shards, confirmed rows, the tally's confirmed)."""
    return (
        int(database.scalar("SELECT coalesce(sum(count), 0) FROM signature_count_shard")),
        int(database.scalar("SELECT count(*) FROM signature WHERE status = 'confirmed'")),
        int(database.scalar("SELECT coalesce(sum(confirmed), 0) FROM signature_tally")),
    )


def signed_during(database: bench.Database, seeded: int) -> set[str]:
    """The addresses stored by the load (the seeded rows hold no real sealed box)."""
    from campaign_site.crypto.sealed_box import open_box

    engine = create_engine(database.url)
    with engine.connect() as connection:
        boxes = connection.execute(
            text("SELECT personal FROM signature WHERE id > :seeded"), {"seeded": seeded}
        ).scalars()
        found = {open_box(box, bench.DATA_KEYRING).email for box in boxes}
    engine.dispose()
    return found


def signing(port: int, form, seconds: float) -> tuple[float, set[str]]:
    """Signatures acknowledged per second, and their addresses."""
    run = f"inv{secrets.token_hex(3)}"
    result = run_signing_load(port, form, "", run, CLIENTS, seconds)
    return len(result["acked"]) / seconds, set(result["acked"])


def invalidate_all(database: bench.Database) -> tuple[float, int]:
    """Seconds and count of invalidating DOMAIN's signatures, as the admin page does."""
    from campaign_site.petition import invalidation

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database.url,
            "DATA_ENCRYPTION_KEY": bench.KEYS[bench.DATA_KEY],
            "BLIND_INDEX_KEY": bench.KEYS[bench.BLIND_KEY],
        }
    )
    with app.app_context():
        criteria = invalidation.Criteria(domain=DOMAIN)
        up_to = invalidation.highest_id()
        started = time.perf_counter()
        changed = invalidation.invalidate(criteria, up_to)
        return time.perf_counter() - started, changed


def run(kind: str, rows: int, seconds: float, workdir: Path) -> None:
    database = dashboard.Database(kind, workdir)
    try:
        seed(database, rows)
        print(f"[{kind}] seeded {rows:,}; invariant {invariant(database)}")
        env = bench.production_env(database.url)
        with bench.Server("campaign_site:create_app()", env, workdir / f"inv-{kind}.log") as server:
            form = bench.Browser(server.port).signing_form()
            alone, acked = signing(server.port, form, seconds)
            outcome: dict = {}
            load = threading.Thread(
                target=lambda: outcome.update(
                    zip(("rate", "acked"), signing(server.port, form, seconds), strict=True)
                )
            )
            load.start()
            time.sleep(0.5)
            taken, changed = invalidate_all(database)
            load.join()
        acked |= outcome["acked"]
        stored = signed_during(database, rows)
        after = invariant(database)
        print(
            f"[{kind}] invalidated {changed:,} in {taken:.1f} s ({changed / taken:,.0f}/s, batches of 500)\n"
            f"[{kind}] signing alone {alone:.0f} sig/s; during the invalidation {outcome['rate']:.0f} sig/s"
            f" ({outcome['rate'] / alone:.2f}x)\n"
            f"[{kind}] acknowledged {len(acked)}, lost {len(acked - stored)}\n"
            f"[{kind}] after: count shards / confirmed rows / tally = {after}"
            f" ({'equal' if len(set(after)) == 1 else 'DRIFT'})"
        )
    finally:
        database.drop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    with tempfile.TemporaryDirectory() as folder:
        for kind in kinds:
            if kind == "postgresql" and not bench.postgres_available():
                print("[postgresql] not reachable: skipped")
                continue
            run(kind, args.rows, args.seconds, Path(folder))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
