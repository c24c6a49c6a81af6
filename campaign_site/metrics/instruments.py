"""The counters and histograms the request handlers update (the gauges are read at scrape
time: site_gauges.py). Under gunicorn, PROMETHEUS_MULTIPROC_DIR makes every worker write its
counts to files there and /metrics adds them up; gunicorn.conf.py prepares the folder.

Every metric has labels, so a process that never serves a request (the mail worker, a
command) never creates a file in that folder."""

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

# No *_created series: multiprocess mode has none either, so both modes expose the same names.
disable_created_metrics()

# Only for a single process (flask run, tests); in multiprocess mode the files are read.
REGISTRY = CollectorRegistry(auto_describe=True)

ROUTE_GROUPS = ("public_page", "sign", "confirm", "api", "embed", "admin", "static", "other")
SIGNING_OUTCOMES = ("stored", "test", "invalid", "limited", "paused", "closed", "bot")

REQUEST_SECONDS = Histogram(
    "campaign_site_http_request_duration_seconds",
    "Time from the first request hook to the response, by route group (the origin's memory "
    "cache answers repeats of public pages before any hook: those are not counted).",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
RESPONSES = Counter(
    "campaign_site_http_responses",
    "Responses by route group and status code (the codes the site's own code answers with).",
    ["route", "code"],
    registry=REGISTRY,
)
SIGNING_ATTEMPTS = Counter(
    "campaign_site_signing_attempts",
    "Submissions of the signing form by outcome: stored, test (a staff test signature), "
    "invalid (the form was sent back), limited (over a rate limit), paused (signing paused or "
    "not launched), closed (the campaign has closed), bot (the honeypot was filled).",
    ["outcome"],
    registry=REGISTRY,
)


def signing_attempt(outcome: str) -> None:
    """Count one submission of the form; outcome is one of SIGNING_OUTCOMES."""
    if outcome not in SIGNING_OUTCOMES:
        raise ValueError(f"unknown signing outcome {outcome!r}")
    SIGNING_ATTEMPTS.labels(outcome).inc()
