"""Prometheus metrics: /metrics behind a bearer token, request timings by route group, the
signing outcomes, and gauges read from the database when Prometheus asks
(docs/deploying.md#metrics-and-alerts). No personal data and no open-ended label: a label
takes one of a few fixed values named in this package."""

from flask import Flask

from campaign_site.metrics import endpoint, request_timing


def register(app: Flask) -> None:
    """Without METRICS_TOKEN there is no /metrics and nothing is timed: nobody could read it."""
    if not app.config.get("METRICS_TOKEN"):
        return
    request_timing.register(app)
    endpoint.register(app)
