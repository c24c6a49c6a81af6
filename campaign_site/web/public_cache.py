"""Public pages as a shared cache may keep them: the same bytes for everyone in a language.

A view decorated with @public_page gets `Cache-Control: public` with PUBLIC_CACHE_MAX_AGE
for browsers and PUBLIC_CACHE_S_MAXAGE for shared caches (nginx, a CDN), a strong ETag and
304 answers to If-None-Match. Such a view must not touch the session or anything else
about the visitor: a page with a Set-Cookie is never marked public (and a test fails).

The origin keeps its own copy too: `ResponseCache`, a WSGI middleware in front of Flask,
answers a repeat of a public page from memory for PUBLIC_CACHE_SECONDS without entering
Flask at all (benchmarks/RESULTS.md: this is what brings GET / level with hello world).
Only responses of decorated views (routes without URL variables) are kept, keyed by path,
scheme, whether the Host is the onion service's (web/onion.py) and the link's source code: the campaign page carries a valid ?source= (or
utm_source / utm_campaign) in its form, and no other query argument is read (so ?fbclid=...
shares the page). Entries for sources are capped at MAX_SOURCE_ENTRIES, so the cache never
grows with what clients send; beyond it such pages are rendered each time. A view that
comes to read another query argument must add its validated value to the key. A response
is kept only if it still says `public` and sets no cookie after every hook has run.
"""

import hashlib
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps

from flask import Flask, current_app, request
from werkzeug.http import parse_etags
from werkzeug.sansio.utils import host_is_trusted

from campaign_site.petition import closing
from campaign_site.text import link_codes
from campaign_site.web import onion

PUBLIC_PAGE_KEY = "campaign_site.public_page"  # in the WSGI environ: "this response may be kept"
SECURE_KEY = "campaign_site.public_page_secure"  # ... and whether Flask saw it as HTTPS
STORE_KEY = (
    "campaign_site.short_cache"  # shared with petition/short_cache.py: forget_all() clears both
)


def public_page(view: Callable) -> Callable:
    """Mark a view's 200 answer as the same for everyone: shared caches may keep it."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code != 200 or "Set-Cookie" in response.headers:
            return response
        config = current_app.config
        response.cache_control.public = True
        response.cache_control.max_age = _until_close(config["PUBLIC_CACHE_MAX_AGE"])
        response.cache_control.s_maxage = _until_close(config["PUBLIC_CACHE_S_MAXAGE"])
        response.set_etag(_etag(response.get_data()))
        onion.name_the_onion(response)
        request.environ[PUBLIC_PAGE_KEY] = True
        request.environ[SECURE_KEY] = request.is_secure
        return response.make_conditional(request)

    return wrapper


def _until_close(seconds: float) -> int:
    """A cache period that ends no later than the petition's close: a page saying "sign"
    is not kept past it (rounded up, so a page rendered in the last second is not kept
    for a whole period either: 0 means "ask again")."""
    left = closing.seconds_until_close()
    return int(seconds) if left is None else max(0, min(int(seconds), math.ceil(left)))


def _etag(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=12).hexdigest()


@dataclass(frozen=True)
class _Entry:
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    etag: str
    expires: float


class ResponseCache:
    """WSGI middleware: repeats of public pages straight from memory, 304s included."""

    def __init__(self, wsgi_app, flask_app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.flask_app = flask_app

    def __call__(self, environ, start_response) -> Iterable[bytes]:
        key = self._key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        store = self.flask_app.extensions.setdefault(STORE_KEY, {})
        entry = store.get(key)
        if entry is not None and entry.expires > time.monotonic() and self._host_ok(environ):
            return self._answer(entry, environ, start_response)
        return self._fill(key, store, environ, start_response)

    def _key(self, environ) -> tuple | None:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        if self.flask_app.config["PUBLIC_CACHE_SECONDS"] <= 0:
            return None
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        return ("page", path, _secure(environ), self._onion(environ), *_link_source(environ))

    def _onion(self, environ) -> bool:
        """Whether the page goes out over the onion (no Onion-Location, no HSTS): a yes or
        no, so the key never grows with the Host a client writes."""
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        return onion.host_is_onion(host, onion.onion_host(self.flask_app))

    def _host_ok(self, environ) -> bool:
        """The trusted-host check Flask would make, so a hit is refused where a miss would be."""
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        return host_is_trusted(host, self.flask_app.config["TRUSTED_HOSTS"])

    def _keep_for(self) -> float:
        """PUBLIC_CACHE_SECONDS, but never past the petition's close (closing.py)."""
        seconds = self.flask_app.config["PUBLIC_CACHE_SECONDS"]
        with self.flask_app.app_context():
            left = closing.seconds_until_close()
        return seconds if left is None else min(seconds, left)

    @staticmethod
    def _shareable(captured: dict, environ) -> bool:
        """The final headers, after every hook: public, no cookie, nothing that varies by
        visitor; and the scheme Flask saw (TRUSTED_PROXIES) is the one the key says."""
        headers = {k.lower(): v.lower() for k, v in captured["headers"]}
        return (
            "public" in headers.get("cache-control", "")
            and "set-cookie" not in headers
            and "cookie" not in headers.get("vary", "")
            and environ.get(SECURE_KEY) == _secure(environ)
        )

    def _answer(self, entry: _Entry, environ, start_response) -> Iterable[bytes]:
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and parse_etags(if_none_match).contains(entry.etag):
            headers = [(k, v) for k, v in entry.headers if k.lower() != "content-length"]
            start_response("304 NOT MODIFIED", headers)
            return []
        start_response(entry.status, entry.headers)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [entry.body]

    def _fill(self, key, store, environ, start_response) -> Iterable[bytes]:
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, capture)
        if not environ.get(PUBLIC_PAGE_KEY) or environ["REQUEST_METHOD"] != "GET":
            return body
        if not captured["status"].startswith("200") or not self._shareable(captured, environ):
            return body
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        if _sourced(key) and not _room_for_source(store):
            return [data]
        headers = dict((k.lower(), v) for k, v in captured["headers"])
        store[key] = _Entry(
            captured["status"],
            list(captured["headers"]),
            data,
            headers.get("etag", "").strip('"'),
            time.monotonic() + self._keep_for(),
        )
        return [data]


MAX_SOURCE_ENTRIES = 500  # pages for distinct ?source= codes kept at once


def _link_source(environ) -> tuple[str | None, str | None]:
    """The source and campaign codes the view will read, read by the view's own function."""
    return link_codes(environ.get("QUERY_STRING", ""))


def _room_for_source(store: dict) -> bool:
    """Whether one more page for a source may be kept: expired ones are dropped first."""
    sourced = [key for key in store if _sourced(key)]
    if len(sourced) < MAX_SOURCE_ENTRIES:
        return True
    now = time.monotonic()
    for key in sourced:
        if store[key].expires <= now:
            del store[key]
    return sum(1 for key in store if _sourced(key)) < MAX_SOURCE_ENTRIES


def _sourced(key) -> bool:
    """Whether a store key is a page kept for a link's source or campaign code."""
    return isinstance(key, tuple) and key[0] == "page" and key[-2:] != (None, None)


def _secure(environ) -> bool:
    """Whether the client came over HTTPS (the response then carries HSTS): a yes or no, so
    the key never grows with what a client writes in X-Forwarded-Proto."""
    forwarded = environ.get("HTTP_X_FORWARDED_PROTO", "")
    return (forwarded.rsplit(",", 1)[-1].strip() or environ.get("wsgi.url_scheme")) == "https"


def register(app: Flask) -> None:
    """Outermost middleware: a hit costs no routing, no hooks, no template."""
    app.wsgi_app = ResponseCache(app.wsgi_app, app)
