"""Screenings and other events: create one (it gets its own source code), print its A4
poster with a QR code, download the QR code (SVG, PNG), see its signatures, delete it.

The poster and the QR code lead to the short link PUBLIC_URL/e/CODE (public/event_links.py),
which opens the campaign page in the event's language carrying the code. Every word of the
poster is in the event's language (the public catalogs, force_locale; the campaign's and
films' names translated for posters); the admin frame around it is English and not printed.
"""

import io

import segno
from babel.dates import format_date, format_time
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext, pgettext
from markupsafe import Markup

from campaign_site.accounts.audit import Action, record
from campaign_site.accounts.permissions import Permission
from campaign_site.admin import bp
from campaign_site.admin.access import requires
from campaign_site.admin.auth import current_admin
from campaign_site.admin.event_forms import FILM_TITLES, EventForm
from campaign_site.database import read_transaction
from campaign_site.extensions import db
from campaign_site.languages import DEFAULT_LANGUAGE
from campaign_site.petition import events
from campaign_site.web.i18n import LANGUAGES, public_url_in

GONE = (
    "This event was deleted: its poster, QR code and link no longer work. Its signatures "
    "are still counted on the signatures page."
)
PNG_SCALE = 20  # px per module: 700 px or so for a typical link, sharp on an A4 print

# The poster's page and type sizes. Served by the route below: the CSP allows no inline
# style, and the site's stylesheet need not carry them for every visitor.
POSTER_CSS = """\
/* Event posters (templates/admin/poster.html): one A4 page, printed without the site's frame. */
@page { size: A4; margin: 15mm; }
.poster { max-width: 180mm; margin: 0 auto; padding: 2rem 0; text-align: center; }
.poster__campaign { font: 700 14pt/1.3 var(--sans, sans-serif); text-transform: uppercase;
  letter-spacing: .08em; margin: 0 0 6mm; }
.poster__film { font: 700 38pt/1.1 var(--serif, serif); margin: 0 0 3mm; }
.poster__event { font-size: 14pt; margin: 0 0 8mm; }
.poster__headline { font: 700 20pt/1.25 var(--serif, serif); margin: 0 auto 8mm; max-width: 160mm; }
.poster__qr { display: block; width: 95mm; height: 95mm; margin: 0 auto 6mm; background: #fff; }
.poster__cta { font: 700 22pt/1.2 var(--sans, sans-serif); margin: 0 0 2mm; }
.poster__url { font: 700 28pt/1.2 ui-monospace, Menlo, Consolas, monospace;
  overflow-wrap: anywhere; margin: 0; }
.poster__url a { color: inherit; text-decoration: none; }
@media print { .poster { padding: 0; break-inside: avoid; } }
"""


def short_url(code: str) -> str:
    """The poster's link: PUBLIC_URL/e/CODE, short enough to type from across a hall."""
    return public_url_in(DEFAULT_LANGUAGE, f"/e/{code}")


def qr_code(code: str) -> segno.QRCode:
    """The QR code of an event's short link."""
    return segno.make(short_url(code))


@bp.route("/events", methods=["GET", "POST"])
@requires(Permission.MANAGE_EVENTS)
def event_list():
    """Every event with its signatures, and the form for a new one."""
    form = EventForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            event = events.create(
                events.NewEvent(
                    title=form.title.data,
                    city=form.city.data,
                    starts_on=form.starts_on.data,
                    film=form.film.data,
                    language=form.language.data,
                    starts_at=form.starts_at.data,
                    venue=form.venue.data or None,
                )
            )
            current_app.logger.warning(
                "event %s (%s) created by admin %s", event.id, event.code, current_admin().id
            )
            record(Action.EVENT_CREATED, f"event {event.id} ({event.code})")
            flash(f"Created {event.title} in {event.city}: its code is {event.code}.")
            return redirect(url_for("admin.event_list"), code=303)
        status = 422
    with read_transaction(db.session):
        listed = events.summaries()
    return render_template(
        "admin/events.html",
        admin=current_admin(),
        form=form,
        events=listed,
        short_url=short_url,
        film_titles=FILM_TITLES,
        languages=LANGUAGES,
    ), status


@bp.post("/events/<int:event_id>/delete")
@requires(Permission.MANAGE_EVENTS)
def delete_event(event_id: int):
    """Soft delete: the link and poster stop working, the signatures stay counted."""
    if not events.delete(event_id):
        abort(404)
    current_app.logger.warning("event %s deleted by admin %s", event_id, current_admin().id)
    record(Action.EVENT_DELETED, f"event {event_id}")
    flash("The event was deleted. Its link and poster no longer work; its signatures stay counted.")
    return redirect(url_for("admin.event_list"), code=303)


def _live_event(event_id: int) -> events.EventSummary:
    """The event, or the page's answer: 404 if there never was one, 410 once deleted."""
    with read_transaction(db.session):
        event = events.find(event_id)
    if event is None:
        abort(404)
    if event.deleted:
        abort(
            Response(
                render_template("admin/poster.html", admin=current_admin(), event=None, gone=GONE),
                410,
            )
        )
    return event


@bp.get("/events/<int:event_id>/poster")
@requires(Permission.MANAGE_EVENTS)
def event_poster(event_id: int):
    """The printable A4 poster, in the event's language."""
    event = _live_event(event_id)
    url = short_url(event.code)
    svg = qr_code(event.code).svg_inline(omitsize=True, svgclass="poster__qr", title=url)
    return render_template(
        "admin/poster.html",
        admin=current_admin(),
        event=event,
        words=poster_words(event),
        language_name=LANGUAGES[event.language],
        short_url=url,
        shown_url=url.split("://", 1)[-1],
        qr_svg=Markup(svg),  # segno escapes the title, the only text it writes
    )


def poster_words(event: events.EventSummary) -> dict[str, str]:
    """The poster's phrases in the event's language, names included: a German poster says
    "Gerechtigkeit für Sergei", not an English title beside German words."""
    language = event.language
    with force_locale(language):
        day = format_date(event.starts_on, "long", locale=language)
        when = day
        if event.starts_at is not None:
            hour = format_time(event.starts_at, "short", locale=language)
            when = gettext("%(date)s at %(time)s", date=day, time=hour)
        return {
            "campaign": pgettext("poster", "Global Justice Campaign for Sergei Magnitsky"),
            "film": pgettext("poster", "The Magnitsky Files")
            if event.film == "files"
            else pgettext("poster", "Justice for Sergei"),
            "headline": gettext(
                "Sergei Magnitsky exposed a $230 million fraud. He died in custody for it."
            ),
            "call": gettext("Sign the petition"),
            "date": when,
        }


@bp.get("/events/<int:event_id>/qr.svg")
@requires(Permission.MANAGE_EVENTS)
def event_qr_svg(event_id: int):
    """The QR code as SVG, for printers and designers."""
    event = _live_event(event_id)
    out = io.BytesIO()
    qr_code(event.code).save(out, kind="svg", title=short_url(event.code))
    return _download(out.getvalue(), "image/svg+xml", f"qr-{event.code}.svg")


@bp.get("/events/<int:event_id>/qr.png")
@requires(Permission.MANAGE_EVENTS)
def event_qr_png(event_id: int):
    """The QR code as PNG, for slides and social media."""
    event = _live_event(event_id)
    out = io.BytesIO()
    qr_code(event.code).save(out, kind="png", scale=PNG_SCALE)
    return _download(out.getvalue(), "image/png", f"qr-{event.code}.png")


@bp.get("/events/poster.css")
@requires(Permission.MANAGE_EVENTS)
def poster_stylesheet():
    """The poster's print styles (see POSTER_CSS)."""
    return Response(POSTER_CSS, mimetype="text/css")


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def event_summaries() -> list[events.EventSummary]:
    """For the signatures page's events section: every event with its signatures."""
    return events.summaries()
