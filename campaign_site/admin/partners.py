"""The Partners page: copy-paste snippets for a partner's site (the embed's iframe, the count
badge) carrying the partner's source code, with a live preview of the embed, and the partner
sites allowed to frame the embed.

A snippet only works where the partner's origin is allowed: the operators' fixed
EMBED_ORIGINS, or a site organisers add here (petition/partner_sites.py); the embed's
frame-ancestors lists exactly those (web/security_headers.py), so the page says so.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext
from flask_wtf import FlaskForm
from markupsafe import escape
from wtforms import Form, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, ValidationError

from campaign_site.accounts.audit import Action, record
from campaign_site.accounts.permissions import Permission
from campaign_site.admin import bp
from campaign_site.admin.access import requires
from campaign_site.admin.auth import current_admin
from campaign_site.languages import DEFAULT_LANGUAGE
from campaign_site.petition import partner_sites
from campaign_site.text import source_code
from campaign_site.web.i18n import LANGUAGES, public_url_in, url_in

PARTNER_PREFIX = "partner:"  # signatures through a partner's snippet carry source partner:CODE
EMBED_HEIGHT = 1000  # px: the form without errors at phone width, with room for the count


class PartnerSnippetForm(Form):
    """A partner's code and the language of their page (a GET form: it changes nothing)."""

    code = StringField(
        "Partner code",
        validators=[DataRequired("Type the partner's code, for example amnesty-de.")],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    language = SelectField(
        "Language of the form",
        choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
        default=DEFAULT_LANGUAGE,
    )

    def validate_code(self, field: StringField) -> None:
        """The code must make a valid source code once prefixed (text.source_code)."""
        if field.data and source_code(PARTNER_PREFIX + field.data.strip()) is None:
            limit = 64 - len(PARTNER_PREFIX)
            raise ValidationError(
                f'Use only letters, digits, "-", "_" and ":", at most {limit} characters, '
                "for example amnesty-de."
            )


@dataclass(frozen=True)
class Snippets:
    """What the partner pastes into their page, and the source their signatures carry."""

    source: str
    iframe: str
    badge: str


def snippets(code: str, language: str) -> Snippets:
    """The iframe and badge HTML for a partner, in their page's language."""
    source = PARTNER_PREFIX + code
    embed_url = f"{public_url_in(language, '/embed')}?source={source}"
    campaign_url = f"{public_url_in(language, '/')}?source={source}"
    with force_locale(language):
        title = gettext("Justice for Sergei Magnitsky: sign the petition")
    iframe = (
        f'<iframe src="{escape(embed_url)}" title="{escape(title)}" width="100%" '
        f'height="{EMBED_HEIGHT}" style="border:0;max-width:32rem" loading="lazy"></iframe>'
    )
    badge = (
        f'<a href="{escape(campaign_url)}"><img src="{escape(public_url_in(language, "/badge.svg"))}" '
        f'alt="{escape(title)}" height="22"></a>'
    )
    return Snippets(source=source, iframe=iframe, badge=badge)


class PartnerSiteForm(FlaskForm):
    """A partner's site to allow, checked by the rule EMBED_ORIGINS is checked by."""

    origin = StringField(
        "Partner's site (origin)",
        validators=[
            DataRequired("Type the partner's site, for example https://partner.example.org.")
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false", "inputmode": "url"},
    )


class RemovePartnerSiteForm(FlaskForm):
    """One added site to stop allowing (a button beside it)."""

    origin = HiddenField(validators=[DataRequired("Choose the site to remove.")])


@bp.get("/partners")
@requires(Permission.MANAGE_PARTNERS)
def partners():
    """Type a partner's code and language; get the snippets to send them, and a preview."""
    form = PartnerSnippetForm(request.args)
    asked = "code" in request.args
    valid = asked and form.validate()
    if valid:
        record(Action.PARTNER_SNIPPET, f"{form.code.data.strip()} ({form.language.data})")
    return render_partners(form, valid, PartnerSiteForm(formdata=None)), (
        422 if asked and not valid else 200
    )


@bp.post("/partners/sites")
@requires(Permission.MANAGE_PARTNERS)
def add_partner_site():
    """Allow a partner's site to frame the embed; every worker follows within seconds."""
    form = PartnerSiteForm()
    origin = None
    if form.validate_on_submit():
        try:  # the rule EMBED_ORIGINS is checked by, and the database's "already there"
            origin = partner_sites.add_site(form.origin.data, current_admin().email)
        except ValueError as refused:
            form.origin.errors = [str(refused)]
    if origin is None:
        return render_partners(PartnerSnippetForm(formdata=None), False, form), 422
    record(Action.PARTNER_SITE_ADDED, origin)
    flash(f"{origin} may show the signing form {_within()}.")
    return redirect(url_for("admin.partners"), code=303)


@bp.post("/partners/sites/remove")
@requires(Permission.MANAGE_PARTNERS)
def remove_partner_site():
    """Stop allowing an added site (the fixed EMBED_ORIGINS are not on this list)."""
    form = RemovePartnerSiteForm()
    if not form.validate_on_submit() or not partner_sites.remove_site(form.origin.data):
        flash("That site is not on the list of added sites; nothing was changed.")
        return redirect(url_for("admin.partners"), code=303)
    record(Action.PARTNER_SITE_REMOVED, form.origin.data)
    flash(f"{form.origin.data} may no longer show the signing form {_within()}.")
    return redirect(url_for("admin.partners"), code=303)


def render_partners(form: PartnerSnippetForm, valid: bool, site_form: PartnerSiteForm) -> str:
    """The page: the allowed sites (fixed and added), the snippet form, its snippets."""
    return render_template(
        "admin/partners.html",
        admin=current_admin(),
        form=form,
        site_form=site_form,
        fixed_origins=partner_sites.fixed_origins(),
        added_sites=partner_sites.added_sites(),
        snippets=snippets(form.code.data.strip(), form.language.data) if valid else None,
        preview_url=preview_url(form.code.data.strip(), form.language.data) if valid else None,
    )


def preview_url(code: str, language: str) -> str:
    """The embed on this very origin (the one the admin is using), which may frame it."""
    return f"{url_in(language, '/embed')}?{urlencode({'source': PARTNER_PREFIX + code})}"


def _within() -> str:
    seconds = current_app.config["PUBLIC_CACHE_SECONDS"]
    return f"within {seconds} seconds" if seconds > 0 else "at once"
