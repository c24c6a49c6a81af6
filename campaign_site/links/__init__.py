"""Pages reached from the links in supporters' emails: confirm, withdraw, unsubscribe.

Mail scanners open links before people do, so opening a link never changes anything
that cannot safely happen twice: confirming is idempotent, and withdrawing or
unsubscribing needs the button on the page (a POST).
"""

from flask import Blueprint

bp = Blueprint("links", __name__)

from . import views  # noqa: E402,F401  (routes register themselves on bp)
