"""The short link on an event's poster and QR code: /e/CODE opens the campaign page in the
event's language with ?source=CODE, so its signatures carry the event's code
(petition/events.py). A deleted event's link and a code that never was get the same polite
404: the site never says which codes once existed."""

from flask import redirect, render_template
from flask_babel import gettext

from campaign_site.database import read_transaction
from campaign_site.extensions import db
from campaign_site.petition import events
from campaign_site.public import bp
from campaign_site.text import source_code
from campaign_site.web.i18n import url_in


@bp.get("/e/<path:code>")  # any text after /e/ gets the same polite page
def event_link(code: str):
    """302 to the event's campaign page; no cookie, and never cached (no-store, like every
    page not marked public), so deleting the event ends the link at once."""
    valid = source_code(code)
    language = None
    if valid is not None:
        with read_transaction(db.session):
            language = events.language_of_link(valid)
    if language is None:
        page = render_template(
            "message.html",
            title=gettext("This event link does not work"),
            message=gettext(
                "The event may be over, or the link may be mistyped. You can still read "
                "about Sergei Magnitsky and sign the petition on the campaign page."
            ),
        )
        return page, 404
    return redirect(f"{url_in(language, '/')}?source={valid}", code=302)
