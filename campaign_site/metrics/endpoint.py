"""GET /metrics in Prometheus's text format, only for "Authorization: Bearer METRICS_TOKEN".

Anyone else gets the site's ordinary 404, as for an address that does not exist: nothing
says a metrics page is there. The answer is never cached (no-store) and not rate-limited,
so every scrape sees the figures of its moment."""

import hmac
import os

from flask import Flask, Response, abort, current_app, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector

from campaign_site.metrics.instruments import REGISTRY
from campaign_site.metrics.site_gauges import SiteGauges


def register(app: Flask) -> None:
    app.add_url_rule("/metrics", "metrics", metrics)


def metrics() -> Response:
    if not authorized(request.headers.get("Authorization", "")):
        abort(404)
    body = generate_latest(scrape_registry())
    # The text format every Prometheus 2 reads (Debian's promtool included).
    headers = {"Cache-Control": "no-store"}
    return Response(body, content_type=CONTENT_TYPE_PLAIN_0_0_4, headers=headers)


def authorized(header: str) -> bool:
    """A bearer token equal to METRICS_TOKEN, compared in constant time."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    scheme, _, given = header.partition(" ")
    return (
        bool(token)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), token.encode())
    )


def scrape_registry() -> CollectorRegistry:
    """What one scrape reads: every worker's counts (PROMETHEUS_MULTIPROC_DIR's files, or
    this process's own), and the gauges from the database."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)
    registry.register(SiteGauges())
    return registry
