"""The campaign page for a new visitor, rendered once every few seconds per process.

Every visitor gets the same page but for two values: the CSRF token and the signed
"form served at" stamp. The page is rendered with placeholders for them and kept for
PUBLIC_CACHE_SECONDS; each request only pastes in its own two values. So the page costs
the same with a million signatures as with none, and the count it shows is at most
that many seconds old. /api/count shares the same short cache.
"""

import time
from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_wtf.csrf import generate_csrf

from .bots import form_started_stamp

CSRF_SLOT = "__csrf_token_slot__"
STAMP_SLOT = "__form_started_slot__"


def cached(name: str, compute: Callable[[], Any]) -> Any:
    """compute(), reused for PUBLIC_CACHE_SECONDS (kept on the app, so tests never share it)."""
    ttl = current_app.config["PUBLIC_CACHE_SECONDS"]
    if ttl <= 0:
        return compute()
    store = current_app.extensions.setdefault("campaign_site.page_cache", {})
    now = time.monotonic()
    entry = store.get(name)
    if entry is None or entry[1] <= now:
        entry = (compute(), now + ttl)
        store[name] = entry
    return entry[0]


def personalise(html: str) -> str:
    """Paste this visitor's CSRF token and form stamp into a cached page."""
    return html.replace(CSRF_SLOT, generate_csrf(), 1).replace(STAMP_SLOT, form_started_stamp(), 1)
