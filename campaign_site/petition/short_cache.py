"""A few-seconds cache, per process, for what every visitor sees alike: the rendered
campaign page, the count, the pause switch. Kept for PUBLIC_CACHE_SECONDS (0 in tests)."""

import time
from collections.abc import Callable
from typing import Any

from flask import current_app


def cached(name: str, compute: Callable[[], Any]) -> Any:
    """compute(), reused for PUBLIC_CACHE_SECONDS (kept on the app, so tests never share it)."""
    ttl = current_app.config["PUBLIC_CACHE_SECONDS"]
    if ttl <= 0:
        return compute()
    store = current_app.extensions.setdefault("campaign_site.short_cache", {})
    now = time.monotonic()
    entry = store.get(name)
    if entry is None or entry[1] <= now:
        entry = (compute(), now + ttl)
        store[name] = entry
    return entry[0]


def forget_all() -> None:
    """Drop this process's entries, after a change its own next page must show at once
    (other processes see it when their entries run out)."""
    current_app.extensions.get("campaign_site.short_cache", {}).clear()
