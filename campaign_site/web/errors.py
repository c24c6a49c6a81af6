"""Error pages: polite words for people, never a stack trace."""

from flask import Flask, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

from campaign_site.extensions import db
from campaign_site.web.log_redaction import redact_tokens

MESSAGES = {
    400: (
        _l("Something was wrong with that request"),
        _l("Please go back, reload the page and try again."),
    ),
    403: (_l("Not allowed"), _l("You do not have permission to see this page.")),
    404: (_l("Page not found"), _l("There is no page at this address. Please check the link.")),
    405: (_l("Not allowed here"), _l("This address does not accept that kind of request.")),
    413: (
        _l("Too much data"),
        _l("What was sent is far larger than a signature. Please try again."),
    ),
    429: (_l("Too many attempts"), _l("Please wait a little while, then try again.")),
    500: (
        _l("Something went wrong on our side"),
        _l("Your request was not completed. Please try again in a minute."),
    ),
}


def register(app: Flask) -> None:
    """Attach the handlers to the app."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)


def render_error(status: int):
    """The error page for a status code."""
    title, message = MESSAGES.get(
        status, (_l("Error %(status)s", status=status), _l("Please try again."))
    )
    return render_template("message.html", title=title, message=message, status=status), status


def handle_csrf_error(error: CSRFError):
    """An expired or missing form token (the petition form answers its own: public/views.py)."""
    return render_error(400)


def handle_http_error(error: HTTPException):
    """404, 405, 413 and friends, as pages of our own."""
    if error.code is None or error.code < 400:
        return error
    if isinstance(error, RateLimitExceeded):
        return handle_rate_limited(error)
    if isinstance(error, SecurityError):
        # A Host not in TRUSTED_HOSTS: no URL can be built for it, so no page either.
        return "Unknown host.", 400, {"Content-Type": "text/plain; charset=utf-8"}
    return render_error(error.code)


def handle_rate_limited(error: RateLimitExceeded):
    """429 with Retry-After: the length of the window that was exceeded (an upper bound).

    The petition form answers its own, keeping what was typed (public/views.py)."""
    retry_after = error.limit.limit.get_expiry()
    body, status = render_error(429)
    return body, status, {"Retry-After": str(retry_after)}


def handle_unexpected_error(error: Exception):
    """A bug: roll back so nothing half-written stays, log it, show a calm page."""
    db.session.rollback()
    current_app.logger.exception(
        "unhandled error on %s %s", request.method, redact_tokens(request.path)
    )
    return render_error(500)
