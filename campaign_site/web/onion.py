"""The site's Tor onion service (ONION_URL): the same app, reached by another Host name.

Tor Browser reads `Onion-Location` on a clearnet page and offers the same page at the
onion address, so every public page names it (never admin pages, links with tokens or the
onion's own answers). Over the onion the app leaves out HSTS, which means nothing there,
and still names PUBLIC_URL wherever a page gives an address to keep or share (canonical,
og:url, hreflang, share links, emails): one address to pass on, whichever way a visitor came.
"""

from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, current_app, request

from campaign_site.text import link_codes

ONION_HOST_KEY = "campaign_site.onion_host"  # in app.extensions


def onion_host(app: Flask) -> str | None:
    """The onion's host name, or None when the site has no onion service."""
    return app.extensions.get(ONION_HOST_KEY)


def host_is_onion(host: str, onion: str | None) -> bool:
    """Whether a Host header (a port is ignored) names the onion service."""
    return onion is not None and host.rsplit(":", 1)[0].lower() == onion


def is_onion_request() -> bool:
    """Whether this request came in through the onion service. The raw Host header:
    request.host would raise for an untrusted one, also while its 400 page goes out."""
    return host_is_onion(request.environ.get("HTTP_HOST", ""), onion_host(current_app))


def onion_location(path: str, query_string: str) -> str:
    """The onion address of a public page: its path and the link codes the page reads, read
    by the function the page and its cache key read them with (text.link_codes), so a copy
    kept for one visitor never carries another's ?fbclid= or a different source."""
    source, campaign = link_codes(query_string)
    kept = [("source", source), ("utm_campaign", campaign)]
    query = urlencode([(name, value) for name, value in kept if value])
    return current_app.config["ONION_URL"] + path + (f"?{query}" if query else "")


def name_the_onion(response: Response) -> None:
    """For public_cache.public_page: a public page served over the clearnet names its
    onion twin (the onion's own answers do not)."""
    if onion_host(current_app) and not is_onion_request():
        response.headers["Onion-Location"] = onion_location(
            request.script_root + request.path, request.environ.get("QUERY_STRING", "")
        )


def register(app: Flask) -> None:
    """Remember the onion's host name (ONION_URL, checked by config.onion_url at start-up)."""
    url = app.config.get("ONION_URL")
    if url:
        app.extensions[ONION_HOST_KEY] = urlsplit(url).hostname
