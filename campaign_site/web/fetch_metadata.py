"""Cross-site form posts refused by what the browser says about them, not by a token.

The public forms (signing, withdraw, unsubscribe) carry no per-visitor token, so the pages
stay the same for everyone and need no cookie. A browser says where a request comes from:
`Sec-Fetch-Site` (every current browser), else `Origin`. The rule is OWASP's Fetch
Metadata defence as Go's net/http CrossOriginProtection implements it:

- GET, HEAD and OPTIONS are never refused (they change nothing);
- `Sec-Fetch-Site: same-origin` or `none` (typed, bookmarked) is accepted; `same-site` and
  `cross-site` are refused;
- without Sec-Fetch-Site, an `Origin` that is not this site's is refused;
- with neither header the request is not from a browser form (curl, a mail provider's
  RFC 8058 one-click unsubscribe): nothing a token would stop either, as such a client can
  read the page and its token first. docs/security.md, "Forms without tokens", says why this is
  enough for an anonymous petition and what it assumes about browsers.

The admin area has a session and keeps Flask-WTF's token as well.
"""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ACCEPTED_SITES = frozenset({"same-origin", "none"})


def cross_origin(environ_headers, host_url: str, public_url: str) -> bool:
    """True when a browser tells us this request was made by another site's page."""
    site = environ_headers.get("Sec-Fetch-Site")
    if site is not None:
        return site.strip().lower() not in ACCEPTED_SITES
    origin = environ_headers.get("Origin")
    if origin is None:
        return False
    return origin.rstrip("/") not in {_origin_of(host_url), _origin_of(public_url)}


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def refuse_cross_origin():
    """before_request for the public blueprints: a clear 403 page, and nothing is stored."""
    if request.method in SAFE_METHODS:
        return None
    if not cross_origin(request.headers, request.host_url, current_app.config["PUBLIC_URL"]):
        return None
    current_app.logger.info(
        "refused a cross-site %s to %s (Sec-Fetch-Site: %s)",
        request.method,
        request.endpoint,
        request.headers.get("Sec-Fetch-Site", "-"),
    )
    page = render_template(
        "message.html",
        title=_("This form can only be sent from our own page"),
        message=_(
            "Your browser told us this came from another website, so nothing was saved. "
            "If you want to sign, please open our petition page and sign there."
        ),
    )
    return page, 403


def protect(blueprint: Blueprint) -> Blueprint:
    """Guard a blueprint's forms this way (and only this way: they carry no token).
    Called where the blueprint is made, as it is shared by every app the process builds."""
    from campaign_site.extensions import csrf

    csrf.exempt(blueprint)
    blueprint.before_request(refuse_cross_origin)
    return blueprint
