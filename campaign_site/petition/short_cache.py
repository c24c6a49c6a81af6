"""A few-seconds cache, per process, for what every visitor sees alike: the rendered
campaign page, the count, the pause switch. Kept for PUBLIC_CACHE_SECONDS; with 0 (the
tests, or an operator who wants none) each request still reads each value once, as a page's
templates ask for the campaign's words dozens of times."""

import time
from collections.abc import Callable
from typing import Any

from flask import current_app

# Where the web layer hands over the current request's own store (web/request_store.py),
# a function returning a dict, or None outside a request: the rules here know no request.
REQUEST_STORE = "campaign_site.request_store"


def cached(name: str, compute: Callable[[], Any]) -> Any:
    """compute(), reused for PUBLIC_CACHE_SECONDS (kept on the app, so tests never share it)."""
    ttl = current_app.config["PUBLIC_CACHE_SECONDS"]
    if ttl <= 0:
        return _once_per_request(name, compute)
    store = current_app.extensions.setdefault("campaign_site.short_cache", {})
    now = time.monotonic()
    entry = store.get(name)
    if entry is None or entry[1] <= now:
        entry = (compute(), now + ttl)
        store[name] = entry
    return entry[0]


def _once_per_request(name: str, compute: Callable[[], Any]) -> Any:
    """compute() once per request (every time outside one: a command, the mail worker)."""
    store = _request_store()
    if store is None:
        return compute()
    if name not in store:
        store[name] = compute()
    return store[name]


def forget_all() -> None:
    """Drop this process's entries, after a change its own next page must show at once
    (other processes see it when their entries run out)."""
    current_app.extensions.get("campaign_site.short_cache", {}).clear()
    store = _request_store()
    if store is not None:
        store.clear()


def _request_store() -> dict[str, Any] | None:
    store_of_request = current_app.extensions.get(REQUEST_STORE)
    return store_of_request() if store_of_request is not None else None
