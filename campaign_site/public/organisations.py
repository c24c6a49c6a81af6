"""Organisations that co-sign, on the public side: the form to apply (with a logo), and the
approved organisations' logos, served from the database under their content hash.

The form's body may be a little over 2 MB, far above the petition's 16 KB: this route alone
raises the request's limit (Werkzeug stops reading beyond it, Content-Length or not), and a
larger upload gets the form again with a polite error. Applying is rate limited per address
(ORGANISATION_APPLY_RATE_LIMIT, web/rate_limits.py).
"""

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from werkzeug.exceptions import RequestEntityTooLarge

from campaign_site.petition import logos, organisations
from campaign_site.public import bots, bp
from campaign_site.public.organisation_forms import OrganisationForm, logo_problem
from campaign_site.web.i18n import current_language
from campaign_site.web.public_cache import public_page

# The logo and the few short fields, with room for multipart's boundaries and headers.
APPLY_MAX_BYTES = logos.LOGO_MAX_BYTES + 64 * 1024
LOGO_CACHE = "public, max-age=31536000, immutable"  # the URL changes with the bytes


@bp.get("/organisations/apply")
@public_page
def organisation_form():
    """The empty form: the same for everyone, so caches may keep it."""
    return render_apply(OrganisationForm(formdata=None))


@bp.post("/organisations/apply")
def organisation_apply():
    """Store an application and mail its contact a confirmation link."""
    request.max_content_length = APPLY_MAX_BYTES
    if (request.content_length or 0) > APPLY_MAX_BYTES:  # said up front: not read at all
        return _too_large()
    try:
        request.form  # noqa: B018 - read here, within this route's limit
    except RequestEntityTooLarge:  # a body without a length, cut off at the limit
        return _too_large()
    try:
        return _answer(OrganisationForm())
    finally:  # a logo over 500 KB waits in a temporary file: gone now, not when collected
        for upload in request.files.values():
            upload.close()


def _answer(form: OrganisationForm):
    """Store a valid application; the form with its errors otherwise."""
    if bots.honeypot_filled(form):  # answered as for a person; nothing stored
        return redirect(url_for("public.organisation_thanks"), code=303)
    valid = form.validate()
    logo = _checked_logo(form)
    if not valid or logo is None:
        return render_apply(form), 422
    organisations.apply(
        organisations.NewOrganisation(
            name=form.name.data,
            website=form.website.data,
            country=form.country.data,
            contact_email=form.email.data,
            language=current_language(),
            logo=logo,
        )
    )
    return redirect(url_for("public.organisation_thanks"), code=303)


def _too_large():
    """The form again, empty: a body this large is never read, so nothing typed is known."""
    form = OrganisationForm(formdata=None)
    form.logo.errors = [logo_problem(logos.Refusal.TOO_LARGE)]
    return render_apply(form), 413


def _checked_logo(form: OrganisationForm) -> logos.Logo | None:
    """The uploaded logo re-encoded, or None with the reason on the form's logo field."""
    upload = form.logo.data
    data = logos.read_bounded(upload.stream) if upload else b""
    try:
        return logos.reencode(data)
    except logos.LogoRefused as refused:
        form.logo.errors = [logo_problem(refused.reason)]
        return None


def render_apply(form: OrganisationForm) -> str:
    return render_template("organisations/apply.html", form=form)


@bp.get("/organisations/thank-you")
@public_page
def organisation_thanks():
    """Says what happens next; nothing about the application itself."""
    return render_template(
        "message.html",
        title=gettext("Please look for our email"),
        message=gettext(
            "Thank you. We have sent a link to the contact address: please open it to confirm "
            "that your organisation supports the petition. Once our organisers have approved "
            "it, its name and logo will be shown on the campaign page."
        ),
    )


@bp.get("/organisations/logos/<string:digest>.<any(png, jpg):extension>")
def organisation_logo(digest: str, extension: str):
    """A shown organisation's logo: re-encoded bytes only, cached for a year (the URL names
    the content), never sniffed as anything but the image it is."""
    found = organisations.shown_logo(digest) if len(digest) == 64 else None
    if found is None or organisations.EXTENSIONS[found[1]] != extension:
        abort(404)
    data, content_type = found
    return data, {
        "Content-Type": content_type,
        "Cache-Control": LOGO_CACHE,
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline",
    }


def render_rate_limited(retry_after: int):
    """Over ORGANISATION_APPLY_RATE_LIMIT: the form again, saying when to try again."""
    form = OrganisationForm(formdata=None)
    minutes = max(1, -(-retry_after // 60))
    form.form_errors.append(
        ngettext(
            "Very many applications have come from your network. Nothing was stored: please "
            "try again in %(num)s minute.",
            "Very many applications have come from your network. Nothing was stored: please "
            "try again in %(num)s minutes.",
            minutes,
        )
    )
    return render_apply(form), 429, {"Retry-After": str(retry_after)}
