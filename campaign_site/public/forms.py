"""The petition form: what a supporter may submit, and the polite errors for what they may not."""

import unicodedata

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..countries import CountrySelect, country_names
from ..models import EMAIL_MAX, NAME_MAX, POSTCODE_CITY_MAX
from ..signing import NewSignature
from ..text import clean_text


def readable(form, field) -> None:
    """Refuse text that arrived garbled (bytes that were not UTF-8 become U+FFFD)."""
    if field.data and "\ufffd" in field.data:
        raise ValidationError("Some characters could not be read. Please type this again.")


def has_a_letter(form, field) -> None:
    """A name has at least one letter, in any script."""
    if field.data and not any(unicodedata.category(ch).startswith("L") for ch in field.data):
        raise ValidationError("Please enter your name in letters.")


class SignatureForm(FlaskForm):
    """Full name, email, country, optional place, and two unticked consent boxes."""

    class Meta:
        # CSRFProtect checks the token of every POST before the view runs; the form's own
        # check verified it a second time and minted a new one (15% of a signature's time).
        csrf = False

    name = StringField(
        "Full name",
        filters=[clean_text],
        validators=[
            DataRequired("Please enter your full name."),
            Length(max=NAME_MAX, message=f"Please keep your name to {NAME_MAX} characters or fewer."),
            readable,
            has_a_letter,
        ],
        render_kw={"autocomplete": "name", "maxlength": NAME_MAX},
    )
    email = EmailField(
        "Email address",
        filters=[clean_text],
        validators=[
            DataRequired("Please enter your email address."),
            Length(max=EMAIL_MAX, message=f"An email address has at most {EMAIL_MAX} characters."),
            readable,
        ],
        render_kw={"autocomplete": "email", "maxlength": EMAIL_MAX, "spellcheck": "false"},
    )
    country = StringField(
        "Country",
        validators=[DataRequired("Please choose your country.")],
        widget=CountrySelect(),
        render_kw={"autocomplete": "country"},
    )
    postcode_city = StringField(
        "Postcode or city (optional)",
        filters=[clean_text],
        validators=[
            Optional(),
            Length(
                max=POSTCODE_CITY_MAX,
                message=f"Please keep this to {POSTCODE_CITY_MAX} characters or fewer.",
            ),
            readable,
        ],
        render_kw={"autocomplete": "address-level2", "maxlength": POSTCODE_CITY_MAX},
    )
    keep_informed = BooleanField("Keep me informed about the campaign by email")
    show_name = BooleanField("Show my first name and country in the list of recent signers")
    # Bot traps (see bots.py): a field people never see, and when the form was served.
    website = StringField("Leave this field empty")
    started = HiddenField()  # the page fills it in (views.index); a resubmission keeps its own

    def validate_email(self, field: EmailField) -> None:
        """Check the address's form (and its domain, when configured) and tidy it."""
        if not field.data:
            return
        try:
            checked = validate_email(
                field.data,
                check_deliverability=current_app.config["EMAIL_CHECK_DELIVERABILITY"],
            )
        except EmailNotValidError as error:
            raise ValidationError(f"Please check your email address: {error}") from None
        field.data = checked.normalized

    def validate_country(self, field: StringField) -> None:
        """Only ISO 3166 codes from the list are accepted."""
        if field.data and field.data not in country_names():
            raise ValidationError("Please choose your country from the list.")

    def to_signature(self) -> NewSignature:
        """The validated fields, in the shape the signing rules take."""
        return NewSignature(
            name=self.name.data,
            email=self.email.data,
            country=self.country.data,
            postcode_city=self.postcode_city.data or None,
            keep_informed=bool(self.keep_informed.data),
            show_name=bool(self.show_name.data),
        )
