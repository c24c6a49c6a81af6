"""Request latency and status by route group, from the first before-request hook to the last
after-request hook. The group comes from the endpoint, never from the path a client sent."""

from functools import lru_cache
from time import perf_counter

from flask import Flask, Response, request

from campaign_site.metrics.instruments import REQUEST_SECONDS, RESPONSES

STARTED = "campaign_site.metrics_started"
# Public endpoints outside the "public_page" group; every other blueprint is one group.
PUBLIC_GROUPS = {
    "sign": "sign",
    "embed_sign": "sign",
    "api_count": "api",
    "form_stamp": "api",
    "embed": "embed",
    "embed_thanks": "embed",
    "count_badge": "embed",
    "healthz": "other",
}
BLUEPRINT_GROUPS = {"admin": "admin", "assets": "static", "links": "confirm"}


@lru_cache(maxsize=256)  # endpoints are a fixed set
def route_group(endpoint: str | None) -> str:
    """One of instruments.ROUTE_GROUPS; an unknown address (no endpoint) is "other"."""
    if endpoint is None:
        return "other"
    blueprint, _, name = endpoint.rpartition(".")
    if blueprint == "public":
        return PUBLIC_GROUPS.get(name, "public_page")
    return BLUEPRINT_GROUPS.get(blueprint.split(".")[0], "other")


def register(app: Flask) -> None:
    """First before-request hook and last after-request hook (Flask runs those in reverse),
    so the time includes every other hook, a maintenance refusal included."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request_funcs.setdefault(None, []).insert(0, _observe)


def _start() -> None:
    request.environ[STARTED] = perf_counter()


def _observe(response: Response) -> Response:
    started = request.environ.get(STARTED)
    if started is not None:
        group = route_group(request.endpoint)
        REQUEST_SECONDS.labels(group).observe(perf_counter() - started)
        RESPONSES.labels(group, str(response.status_code)).inc()
    return response
