"""The partners' embed: a compact signing form with the count, for an iframe on a partner's
page (/embed, /de/embed, ...), and the count as a badge picture (/badge.svg).

Only the origins in EMBED_ORIGINS may frame the embed's three endpoints (the form, its error
page, its thank-you): web/security_headers.py gives them `frame-ancestors` with those origins
and no X-Frame-Options; every other response stays unframeable. The form posts to our own
origin from inside the frame, so Fetch Metadata sees `same-origin`, and no cookie is needed
(browsers that block third-party cookies sign like any other). Signing is views.py's flow,
drawn with this page around the form. /api/count and the badge may be read by any site.
"""

from flask import Response, current_app, render_template, request
from flask_babel import gettext, ngettext
from markupsafe import escape

from campaign_site.petition import public_figures, signing_state
from campaign_site.public import bp, views
from campaign_site.public.forms import SignatureForm
from campaign_site.web import i18n
from campaign_site.web.public_cache import public_page
from campaign_site.web.template_filters import thousands


@bp.get("/embed")
@public_page
def embed():
    """The compact form, carrying a partner's ?source= (e.g. partner:CODE) like the campaign
    page; cached per valid source like it (web/public_cache.py keys it)."""
    return render_embed(SignatureForm.for_link(request.environ.get("QUERY_STRING", "")))


@bp.post("/embed/sign")
def embed_sign():
    """The signing flow of /sign, answered inside the frame: errors on the embed, success
    on its own thank-you."""
    return views.answer_signature(render_embed, "public.embed_thanks")


@bp.get("/embed/thank-you")
@public_page
def embed_thanks():
    """A short thanks that fits the frame, with a way to the whole campaign in a new tab."""
    return render_template(
        "embed_thanks.html", confirmation_required=signing_state.confirmation_required()
    )


def render_embed(form: SignatureForm) -> str:
    """The embed with the form as given (empty, or sent back with its errors)."""
    figures = public_figures.public_figures()
    return render_template(
        "embed.html",
        form=form,
        count=figures.online,
        goal=figures.goal,
        first_signers_threshold=current_app.config["FIRST_SIGNERS_THRESHOLD"],
        signing_state=views._signing_state(),
        count_phrases=i18n.plural_phrases("person has signed", "people have signed"),
        safety_note=i18n.safety_note_wanted(),
    )


@bp.get("/badge.svg")
@public_page
def count_badge():
    """The count as a small picture in the page's language, for a partner's <img>."""
    count = public_figures.recent_public_figures().online
    if count < current_app.config["FIRST_SIGNERS_THRESHOLD"]:
        value = gettext("Be one of the first to sign")
    else:
        value = f"{thousands(count)} {ngettext('person has signed', 'people have signed', count)}"
    return Response(
        badge_svg(gettext("Justice for Sergei Magnitsky"), value), mimetype="image/svg+xml"
    )


CHARACTER_WIDTH = 7  # px per character at 11px Verdana, near enough: textLength makes it fit
BADGE_PADDING = 10


def badge_svg(label: str, value: str) -> str:
    """A two-part badge (label | value) drawn with attributes only: no style, no script."""
    left = len(label) * CHARACTER_WIDTH + 2 * BADGE_PADDING
    right = len(value) * CHARACTER_WIDTH + 2 * BADGE_PADDING
    width = left + right
    both = escape(f"{label}: {value}")
    label, value = escape(label), escape(value)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="22" '
        f'viewBox="0 0 {width} 22" role="img" aria-label="{both}">'
        f"<title>{both}</title>"
        f'<rect width="{left}" height="22" fill="#1c2430"/>'
        f'<rect x="{left}" width="{right}" height="22" fill="#8c1d2c"/>'
        '<g fill="#ffffff" font-family="Verdana,DejaVu Sans,Geneva,sans-serif" font-size="11">'
        f'<text x="{BADGE_PADDING}" y="15" textLength="{left - 2 * BADGE_PADDING}" '
        f'lengthAdjust="spacingAndGlyphs">{label}</text>'
        f'<text x="{left + BADGE_PADDING}" y="15" textLength="{right - 2 * BADGE_PADDING}" '
        f'lengthAdjust="spacingAndGlyphs">{value}</text>'
        "</g></svg>"
    )
