"""The current request's own store for petition/short_cache.py: values read once per
request when PUBLIC_CACHE_SECONDS is 0, kept on flask.g so they end with the request."""

from typing import Any

from flask import Flask, g, has_request_context

from campaign_site.petition.short_cache import REQUEST_STORE


def register(app: Flask) -> None:
    app.extensions[REQUEST_STORE] = request_store


def request_store() -> dict[str, Any] | None:
    """This request's store, or None outside a request (a command, the mail worker)."""
    if not has_request_context():
        return None
    store: dict[str, Any] = g.setdefault("short_cache", {})
    return store
