"""The Partners page: copy-paste snippets for a partner's site (the embed's iframe, the count
badge) carrying the partner's source code, and the origins allowed to frame the embed.

A snippet only works where the partner's origin is in EMBED_ORIGINS (the environment): the
embed's frame-ancestors lists exactly those (web/security_headers.py), so the page says so.
"""

from dataclasses import dataclass

from flask import current_app, render_template, request
from flask_babel import force_locale, gettext
from markupsafe import escape
from wtforms import Form, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, ValidationError

from campaign_site.accounts.audit import Action, record
from campaign_site.accounts.permissions import Permission
from campaign_site.admin import bp
from campaign_site.admin.access import requires
from campaign_site.admin.auth import current_admin
from campaign_site.config import embed_origins
from campaign_site.languages import DEFAULT_LANGUAGE
from campaign_site.text import source_code
from campaign_site.web.i18n import LANGUAGES, public_url_in

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


@bp.get("/partners")
@requires(Permission.MANAGE_PARTNERS)
def partners():
    """Type a partner's code and language; get the snippets to send them."""
    form = PartnerSnippetForm(request.args)
    asked = "code" in request.args
    valid = asked and form.validate()
    if valid:
        record(Action.PARTNER_SNIPPET, f"{form.code.data.strip()} ({form.language.data})")
    return render_template(
        "admin/partners.html",
        admin=current_admin(),
        form=form,
        embed_origins=embed_origins(current_app.config),
        snippets=snippets(form.code.data.strip(), form.language.data) if valid else None,
    ), (422 if asked and not valid else 200)
