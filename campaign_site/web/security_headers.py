"""Security headers on every response.

A small module of our own rather than Flask-Talisman: the site needs one fixed policy
(everything from our own origin, nothing inline, never framed but for the partners' embed),
Talisman's other duties (HTTPS redirects, cookie flags) are done by the proxy and by
config.py, and a dozen lines are easier to read in full than its options.
"""

from flask import Flask, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from campaign_site.config import embed_origins
from campaign_site.petition import partner_sites
from campaign_site.web.onion import is_onion_request
from campaign_site.web.template_filters import campaign


def content_security_policy(frame_sources: list[str], ancestors: list[str] | None = None) -> str:
    """The policy; frame_sources: the trailers' hosts (content file), framed only after the
    visitor presses play (site.js), never otherwise; ancestors: who may frame this response
    (nobody unless given)."""
    frames = " ".join(frame_sources) or "'none'"
    policy = CONTENT_SECURITY_POLICY
    if ancestors:
        policy = policy.replace("frame-ancestors 'none'", "frame-ancestors " + " ".join(ancestors))
    return f"{policy}; frame-src {frames}"


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in [
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "interest-cohort",
        "browsing-topics",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    # No other site may load our pages, scripts or images as its own resources.
    "Cross-Origin-Resource-Policy": "same-origin",
}
# The partners' embed (public/embed.py): the partner sites (EMBED_ORIGINS and those added in
# the admin, petition/partner_sites.py) and the site itself (the admin's live preview) may
# frame these endpoints' answers, the form's error page and its thank-you included;
# X-Frame-Options has no allow-list, so they go without it once a partner is allowed.
# Every other response stays unframeable.
FRAMED_BY_PARTNERS = ("public.embed", "public.embed_sign", "public.embed_thanks")
# The count, for partners' pages: any site may read it (fetch) and show it (img).
# The admin's Partners page frames the embed from our own origin, as a preview.
FRAMES_THE_EMBED = "admin.partners"
SHARED_WITH_EVERY_SITE = ("public.api_count", "public.count_badge")
SHARED_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
}
# Pages reached by a token in the URL set a stricter one of their own (public/email_links.py).
REFERRER_POLICY = "strict-origin-when-cross-origin"
HSTS = "max-age=31536000; includeSubDomains"


# The pages that may play a trailer: their frame-src names the published content's services.
SHOWING_TRAILERS = ("public.index", "public.sign", "public.content_preview")


def add_security_headers(response: Response) -> Response:
    """Set the policy headers; HSTS only where the request came over HTTPS, never over the
    onion (Tor Browser there speaks http: a header naming https would mean nothing)."""
    everywhere = current_app.extensions["campaign_site.security_headers"]
    by_endpoint = current_app.extensions["campaign_site.security_headers_by_endpoint"]
    if request.endpoint in FRAMED_BY_PARTNERS:
        response.headers.extend(framed_by_partners(everywhere))
    else:
        response.headers.extend(by_endpoint.get(request.endpoint, everywhere))
    # A redirect shows nothing, so the site-wide policy does (after each signature, too).
    if request.endpoint in SHOWING_TRAILERS and not 300 <= response.status_code < 400:
        response.headers["Content-Security-Policy"] = content_security_policy(_trailers_shown())
    response.headers.setdefault("Referrer-Policy", REFERRER_POLICY)
    # Only what says otherwise may be kept by a cache (public pages, static files): a CDN's
    # default lifetime must never apply to a token page, a form with what was typed, an error.
    response.headers.setdefault("Cache-Control", "no-store")
    if request.is_secure and not is_onion_request():
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def _trailers_shown() -> list[str]:
    """The trailer origins of the content this page shows (published, or a preview's); the
    content file's when the database does not answer (an error page)."""
    try:
        return campaign().trailer_origins()
    except SQLAlchemyError:
        return current_app.extensions["campaign_site.content"].trailer_origins()


def framed_by_partners(everywhere: dict[str, str]) -> dict[str, str]:
    """The embed's headers: frame-ancestors with the partner sites allowed now (read through
    the short cache, so the admin's changes count on every worker without a restart)."""
    try:
        partners = partner_sites.allowed_origins()
    except SQLAlchemyError:  # the database is away: the operators' fixed list still holds
        current_app.logger.exception("partner sites unreadable; using EMBED_ORIGINS only")
        partners = embed_origins(current_app.config)
    trailers = _trailers_shown()
    policy = content_security_policy(trailers, ["'self'", *partners])
    headers = {**everywhere, "Content-Security-Policy": policy}
    if partners:
        del headers["X-Frame-Options"]
    else:
        headers["X-Frame-Options"] = "SAMEORIGIN"
    return headers


def register(app: Flask) -> None:
    """Attach to every response, error pages included."""
    trailers = app.extensions["campaign_site.content"].trailer_origins()
    app.extensions["campaign_site.security_headers"] = everywhere = {
        **HEADERS,
        "Content-Security-Policy": content_security_policy(trailers),
    }
    embed_origins(app.config)  # refuses a malformed entry: the app does not start
    previewing = {
        **everywhere,
        "Content-Security-Policy": content_security_policy([*trailers, "'self'"]),
    }
    shared = {**everywhere, **SHARED_HEADERS}
    app.extensions["campaign_site.security_headers_by_endpoint"] = {
        FRAMES_THE_EMBED: previewing,
        **{endpoint: shared for endpoint in SHARED_WITH_EVERY_SITE},
    }
    app.after_request(add_security_headers)
