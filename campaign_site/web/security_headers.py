"""Security headers on every response.

A small module of our own rather than Flask-Talisman: the site needs one fixed policy
(everything from our own origin, nothing inline, never framed), Talisman's other duties
(HTTPS redirects, cookie flags) are done by the proxy and by config.py, and a dozen
lines are easier to read in full than its options.
"""

from flask import Flask, Response, current_app, request


def content_security_policy(frame_sources: list[str]) -> str:
    """The policy; frame_sources: the trailers' hosts (content file), framed only after the
    visitor presses play (site.js), never otherwise."""
    frames = " ".join(frame_sources) or "'none'"
    return f"{CONTENT_SECURITY_POLICY}; frame-src {frames}"


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
# Pages reached by a token in the URL set a stricter one of their own (public/email_links.py).
REFERRER_POLICY = "strict-origin-when-cross-origin"
HSTS = "max-age=31536000; includeSubDomains"


def add_security_headers(response: Response) -> Response:
    """Set the policy headers; HSTS only where the request came over HTTPS."""
    response.headers.extend(current_app.extensions["campaign_site.security_headers"])
    response.headers.setdefault("Referrer-Policy", REFERRER_POLICY)
    # Only what says otherwise may be kept by a cache (public pages, static files): a CDN's
    # default lifetime must never apply to a token page, a form with what was typed, an error.
    response.headers.setdefault("Cache-Control", "no-store")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def register(app: Flask) -> None:
    """Attach to every response, error pages included."""
    trailers = app.extensions["campaign_site.content"].trailer_origins()
    app.extensions["campaign_site.security_headers"] = {
        **HEADERS,
        "Content-Security-Policy": content_security_policy(trailers),
    }
    app.after_request(add_security_headers)
