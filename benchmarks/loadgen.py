"""A small closed-loop load generator for POST /sign that knows exactly which request got
which answer, so the harness can check every acknowledged signature in the database.

Processes x threads, each thread one keep-alive connection sending one request at a time.
It reports its own CPU time, to show the generator was not the bottleneck.
"""

import http.client
import multiprocessing
import random
import resource
import threading
import time
from urllib.parse import urlencode


def _client(port, form, cookie, run, worker_id, deadline, acked, failures, latencies):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    rng = random.Random(worker_id)
    n = 0
    while time.monotonic() < deadline:
        n += 1
        email = f"{run}-w{worker_id}-n{n}@example.org"
        body = urlencode(
            {
                **form,
                "given_name": "Bench",
                "family_name": "Supporter",
                "country": "DE",
                "postcode_city": "10115",
                "email": email,
            }
        ).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            # a different client address per request, as from many supporters behind one proxy
            "X-Forwarded-For": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            **({"Cookie": cookie} if cookie else {}),
        }
        started = time.perf_counter()
        try:
            connection.request("POST", "/sign", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            failures.append((email, type(error).__name__))
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        latencies.append(time.perf_counter() - started)
        if status == 303:
            acked.append(email)
        else:
            failures.append((email, status))
    connection.close()


def _process(args):
    port, form, cookie, run, process_id, threads, seconds = args
    deadline = time.monotonic() + seconds
    acked, failures, latencies = [], [], []
    workers = [
        threading.Thread(
            target=_client,
            args=(
                port,
                form,
                cookie,
                run,
                process_id * 1000 + t,
                deadline,
                acked,
                failures,
                latencies,
            ),
        )
        for t in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return acked, failures, latencies, usage.ru_utime + usage.ru_stime


def run_signing_load(port, form, cookie, run, clients, seconds, processes=2) -> dict:
    """clients concurrent supporters for seconds; every answer accounted for."""
    per_process = [
        clients // processes + (1 if i < clients % processes else 0) for i in range(processes)
    ]
    jobs = [(port, form, cookie, run, i, n, seconds) for i, n in enumerate(per_process) if n]
    with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
        results = pool.map(_process, jobs)
    acked = [email for r in results for email in r[0]]
    failures = [f for r in results for f in r[1]]
    latencies = sorted(lat for r in results for lat in r[2])
    return {
        "acked": acked,
        "failures": failures,
        "p50_ms": latencies[len(latencies) // 2] * 1000 if latencies else 0.0,
        "client_cpu_seconds": sum(r[3] for r in results),
    }
