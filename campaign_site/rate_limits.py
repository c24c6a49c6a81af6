"""Rate limits, all in one table: which route, which setting, counted per what.

Each app gets its own Flask-Limiter, storing counts where RATELIMIT_STORAGE_URI says:
memory for one process (`make run`), Redis when several gunicorn workers or machines
must share one count. Over a limit the answer is a 429 page with Retry-After.
"""

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from .admin.auth import normalize_admin_email


def _login_account() -> str:
    """The account being tried, so spreading guesses over many addresses does not help."""
    return "account:" + normalize_admin_email(request.form.get("email", ""))


# (endpoint, setting holding the limit, extra options)
LIMITS = [
    ("public.sign", "SIGN_RATE_LIMIT", {}),
    ("links.confirm", "LINK_RATE_LIMIT", {}),
    ("links.withdraw", "LINK_RATE_LIMIT", {}),
    ("links.withdraw_confirmed", "LINK_RATE_LIMIT", {}),
    ("links.unsubscribe", "LINK_RATE_LIMIT", {}),
    ("admin.login", "LOGIN_RATE_LIMIT_PER_IP", {"methods": ["POST"]}),
    (
        "admin.login",
        "LOGIN_RATE_LIMIT_PER_ACCOUNT",
        {"methods": ["POST"], "key_func": _login_account, "scope": "admin-login-account"},
    ),
]


def register(app: Flask) -> None:
    """Give the app its limiter and wrap the limited views."""
    limiter = Limiter(get_remote_address, app=app)
    limited = {endpoint for endpoint, _, _ in LIMITS}
    limiter.request_filter(lambda: request.endpoint not in limited)
    # Every limit here is on a view, and the wrapped view checks it itself; the limiter's
    # before-request hook only serves default and blueprint limits, which we don't use,
    # yet it cost ~10% of every page view in the profile. Unhook it.
    hooks = app.before_request_funcs[None]
    if limiter._check_request_limit in hooks:  # absent when RATELIMIT_ENABLED is off
        hooks.remove(limiter._check_request_limit)
    # Flask-Limiter keeps only weak references to itself; the app must hold it.
    app.extensions["campaign_site.limiter"] = limiter
    for endpoint, setting, options in LIMITS:
        # The setting is read once: a fixed string is parsed once, a callable on every request.
        limit = limiter.limit(app.config[setting], **options)
        app.view_functions[endpoint] = limit(app.view_functions[endpoint])
