"""MAINTENANCE_MODE: while the database is being moved, every write answers 503 with a polite
page in the visitor's language, and reads keep serving (docs/backups.md: Moving from SQLite to
PostgreSQL). A write taken now would be lost: the backup has already been made."""

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _

READ_METHODS = {"GET", "HEAD", "OPTIONS"}
# GET routes that write (opening a confirmation link confirms; an export is audited) ...
WRITING_GETS = {"links.confirm", "admin.export_signatures"}
# ... and POST routes that write nothing to the database (the session is a cookie).
NON_WRITING_POSTS = {"admin.login", "admin.logout"}
RETRY_AFTER_SECONDS = 600


def register(app: Flask) -> None:
    app.before_request(refuse_writes)


def refuse_writes() -> tuple[str, int, dict[str, str]] | None:
    """Answer a write with 503 while MAINTENANCE_MODE is on; let everything else through."""
    if not current_app.config["MAINTENANCE_MODE"]:
        return None
    endpoint = request.endpoint
    writes = endpoint in WRITING_GETS or (
        request.method not in READ_METHODS and endpoint not in NON_WRITING_POSTS
    )
    if not writes:
        return None
    page = render_template(
        "message.html",
        title=_("Back in a few minutes"),
        message=_(
            "We are moving the petition to a new home. For a few minutes nothing can be saved: "
            "please try again shortly. Reading the page works as usual."
        ),
        status=503,
    )
    return page, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
