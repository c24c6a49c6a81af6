"""The form for organisations that co-sign: name, website (https only), contact email,
country and logo, with polite errors in the visitor's language for what may not be stored.

The logo is checked apart (petition/logos.py): the view reads at most 2 MB of it and has
it re-encoded, and logo_problem() says why one was refused.
"""

from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from campaign_site.models import EMAIL_MAX, ORGANISATION_NAME_MAX, WEBSITE_MAX
from campaign_site.petition.logos import LOGO_MAX_SIDE, LOGO_MIN_SIDE, Refusal
from campaign_site.public.forms import check_email_field, has_a_letter, readable
from campaign_site.text import clean_text
from campaign_site.web.countries import CountrySelect, country_names

KEEP_SHORT = _l("Please keep this to %(max)s characters or fewer.")


def _website(data: str | None) -> str | None:
    """What was typed, with https:// put in front of a bare host name."""
    if data and "://" not in data:
        return "https://" + data
    return data


class OrganisationForm(FlaskForm):
    """An organisation's application."""

    class Meta:
        # As the petition form: no cookie, cross-site posts refused by Fetch Metadata
        # (web/fetch_metadata.py guards the whole public blueprint).
        csrf = False

    name = StringField(
        _l("Name of the organisation"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Please enter the name of your organisation.")),
            Length(max=ORGANISATION_NAME_MAX, message=KEEP_SHORT),
            readable,
            has_a_letter,
        ],
        render_kw={"autocomplete": "organization", "maxlength": ORGANISATION_NAME_MAX},
    )
    website = StringField(
        _l("Website"),
        filters=[clean_text, _website],
        validators=[
            DataRequired(_l("Please enter your organisation's website.")),
            Length(max=WEBSITE_MAX, message=KEEP_SHORT),
            readable,
        ],
        render_kw={"autocomplete": "url", "inputmode": "url", "spellcheck": "false"},
    )
    email = EmailField(
        _l("Contact email address"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Length(max=EMAIL_MAX, message=_l("An email address has at most %(max)s characters.")),
            readable,
        ],
        render_kw={"autocomplete": "email", "maxlength": EMAIL_MAX, "spellcheck": "false"},
    )
    country = StringField(
        _l("Country"),
        validators=[DataRequired(_l("Please choose your organisation's country."))],
        widget=CountrySelect(),
        render_kw={"autocomplete": "country"},
    )
    logo = FileField(
        _l("Logo"), render_kw={"accept": "image/png,image/jpeg", "aria-required": "true"}
    )
    # The petition form's bot trap (public/bots.py): a field people never see.
    leave_this_empty = StringField(_l("Leave this field empty"))

    def validate_email(self, field: EmailField) -> None:
        check_email_field(field)

    def validate_country(self, field: StringField) -> None:
        if field.data and field.data not in country_names():
            raise ValidationError(_("Please choose your country from the list."))

    def validate_website(self, field: StringField) -> None:
        """An https address of a named host, without a user name or password in it."""
        if not field.data:
            return
        try:
            parts = urlsplit(field.data)
            host = parts.hostname or ""
        except ValueError:
            host, parts = "", None
        if parts is not None and parts.scheme.lower() != "https":
            raise ValidationError(_("Please give an address that starts with https://."))
        if (
            parts is None
            or "." not in host
            or parts.username
            or any(c.isspace() for c in field.data)
        ):
            raise ValidationError(
                _("Please check the website's address: it should look like https://example.org.")
            )


def logo_problem(reason: Refusal) -> str:
    """Why a logo was refused, in the visitor's language."""
    messages = {
        Refusal.EMPTY: _("Please choose your organisation's logo: a PNG or JPEG file."),
        Refusal.TOO_LARGE: _(
            "The logo is larger than 2 MB. Please choose a smaller PNG or JPEG file."
        ),
        Refusal.NOT_PNG_OR_JPEG: _(
            "The logo must be a PNG or JPEG picture. SVG and other formats are not accepted."
        ),
        Refusal.TOO_MANY_PIXELS: _(
            "The logo's picture is too large: at most %(side)s by %(side)s pixels. Please "
            "choose a smaller one.",
            side=LOGO_MAX_SIDE,
        ),
        Refusal.TOO_SMALL: _(
            "The logo is too small: it must be at least %(side)s pixels wide and high.",
            side=LOGO_MIN_SIDE,
        ),
        Refusal.UNREADABLE: _(
            "We could not read this logo: the file may be damaged or incomplete. Please save it "
            "again as PNG or JPEG and choose it again."
        ),
    }
    return messages[reason]
