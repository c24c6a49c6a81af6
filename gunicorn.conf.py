"""gunicorn settings for production (`make serve-prod`); every value can be overridden
from the environment. The defaults were chosen by `make bench` on a 2-core machine:
see benchmarks/RESULTS.md."""

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# gthread with one thread each: it keeps idle keep-alive connections in its poller, which
# true sync workers cannot (they signed about a fifth slower on PostgreSQL), while a second
# thread only fights the first for the GIL on 2 cores: one thread per worker signed 12-20%
# faster than four on both databases (benchmarks/RESULTS.md). Behind the buffering proxy
# docs/deploying.md puts in front, a slow client never holds a worker.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
# gunicorn's rule of thumb: 2 per core + 1 (one is always between requests).
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))  # used by gthread only
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
# Recycle workers now and then so a slow leak can never grow without bound; not too often:
# at a spike's ~1,000 requests/s per worker, 20,000 recycled each worker every 20 s and the
# restarts (app start, first page render) showed in the page benchmark.
max_requests = 200000
max_requests_jitter = 20000
# The app is created in each worker, after the fork: no shared database connections.
preload_app = False
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # empty: no access log
# No query strings and no client address in the log: supporters' privacy. Link tokens in
# paths (/confirm/<token>) are replaced by [token] in every field (campaign_site/web/log_redaction.py).
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
logger_class = "campaign_site.web.log_redaction.GunicornLogger"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# gunicorn believes X-Forwarded-Proto only from the proxies the app believes: with
# TRUSTED_PROXIES=0 (nothing in front) from nobody, or a client could claim HTTPS.
_behind_proxy = int(os.environ.get("TRUSTED_PROXIES") or 0) > 0
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1") if _behind_proxy else ""
if not _behind_proxy:
    secure_scheme_headers: dict[str, str] = {}  # also for a Unix socket's peer, always trusted


# Metrics (campaign_site/metrics/): each worker writes its counts to files in this folder and
# /metrics adds them up. Set here, in the master, so every worker inherits it; a default
# folder of our own (private under systemd's PrivateTmp) lets a fresh clone, the systemd
# unit and the Procfile start without it. Reloading (HUP) keeps the folder: it is set now.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="campaign-site-metrics-")
    os.environ["CAMPAIGN_SITE_OWN_METRICS_DIR"] = "1"  # ours to remove at exit


def on_starting(server):
    """Compile missing or stale translation catalogs (.mo files are build output), so every
    way of starting the site serves all four languages; the app refuses to start if that
    failed (read-only folder), naming the catalog."""
    from campaign_site.web.catalogs import compile_catalogs

    try:
        for path in compile_catalogs():
            server.log.info("compiled %s", path)
    except OSError as error:
        server.log.error("could not compile the translation catalogs: %s", error)
    _empty_metrics_folder(server)


def _empty_metrics_folder(server):
    """Counts left by an earlier run would be added to this one's (and counters would seem to
    jump back when those files went): start from an empty folder, removing only the files
    prometheus_client writes."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    server.log.info("metrics counts in %s", folder)


def child_exit(server, worker):
    """A worker that ended (recycled, killed) leaves its counters to be summed; its live
    gauges are dropped."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics folder if this file made it (an operator's folder is left)."""
    if os.environ.get("CAMPAIGN_SITE_OWN_METRICS_DIR"):
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
