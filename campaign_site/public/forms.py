"""The petition form: what a supporter may submit, and the polite errors for what they may not."""

import unicodedata

from email_validator import EmailNotValidError, EmailUndeliverableError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from campaign_site.models import EMAIL_MAX, FAMILY_NAME_MAX, GIVEN_NAME_MAX, POSTCODE_CITY_MAX
from campaign_site.petition import mail_risk
from campaign_site.petition.mail_risk import Jurisdiction
from campaign_site.petition.signing import NewSignature
from campaign_site.text import clean_text, link_codes, source_code
from campaign_site.web.countries import CountrySelect, country_names
from campaign_site.web.i18n import current_language


def readable(form, field) -> None:
    """Refuse text that arrived garbled (bytes that were not UTF-8 become U+FFFD)."""
    if field.data and "\ufffd" in field.data:
        raise ValidationError(_("Some characters could not be read. Please type this again."))


def has_a_letter(form, field) -> None:
    """A name has at least one letter, in any script."""
    if field.data and not any(unicodedata.category(ch).startswith("L") for ch in field.data):
        raise ValidationError(_("Please enter your name in letters."))


def _email_problem(address: str, error: EmailNotValidError) -> str:
    """email-validator explains in English; say it in the page's language instead."""
    local_part = address.rpartition("@")[0]
    if local_part and not local_part.isascii():
        return _(
            "We cannot send email to an address with letters outside the Latin alphabet before "
            "the @. Please use another address, such as one with Latin letters and digits."
        )
    if isinstance(error, EmailUndeliverableError):
        return _("Please check your email address: its domain does not seem to accept email.")
    return _("Please check your email address: it should look like name@example.org.")


def check_email_field(field: EmailField) -> None:
    """Check an address's form (and its domain, when configured) and tidy it."""
    if not field.data:
        return
    try:
        checked = validate_email(
            field.data,
            check_deliverability=current_app.config["EMAIL_CHECK_DELIVERABILITY"],
            # Only where the mail server can deliver it (see mail.wire_address).
            allow_smtputf8=current_app.config["MAIL_SMTPUTF8"],
        )
    except EmailNotValidError as error:
        raise ValidationError(_email_problem(field.data, error)) from None
    field.data = checked.normalized


def _name_field(label, presence, max_length: int, autocomplete: str) -> StringField:
    """A name field: cleaned text, letters required, bounded length."""
    return StringField(
        label,
        filters=[clean_text],
        validators=[
            presence,
            Length(max=max_length, message=_l("Please keep this to %(max)s characters or fewer.")),
            readable,
            has_a_letter,
        ],
        render_kw={"autocomplete": autocomplete, "maxlength": max_length},
    )


class SignatureForm(FlaskForm):
    """Given and family name, email, country, optional place, and two unticked consent boxes."""

    class Meta:
        # No token: the page is the same for everyone and needs no cookie; cross-site posts
        # are refused by Fetch Metadata before the view runs (web/fetch_metadata.py).
        csrf = False

    # Two fields (OSDI's given_name and family_name): only the given name is ever shown or
    # used in a greeting, whichever order names come in where the supporter lives.
    given_name = _name_field(
        _l("Given name"),
        DataRequired(_l("Please enter your given name.")),
        GIVEN_NAME_MAX,
        "given-name",
    )
    family_name = _name_field(
        _l("Family name (if you have one)"), Optional(), FAMILY_NAME_MAX, "family-name"
    )
    email = EmailField(
        _l("Email address"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Length(max=EMAIL_MAX, message=_l("An email address has at most %(max)s characters.")),
            readable,
        ],
        render_kw={
            "autocomplete": "email",
            "maxlength": EMAIL_MAX,
            "spellcheck": "false",
            # For site.js's check as the supporter leaves the field, in the page's language.
            "data-invalid-message": _l("Enter an email address like name@example.org"),
            "data-error-prefix": _l("Error:"),
        },
    )
    country = StringField(
        _l("Country"),
        validators=[DataRequired(_l("Please choose your country."))],
        widget=CountrySelect(),
        render_kw={"autocomplete": "country"},
    )
    postcode_city = StringField(
        _l("Postcode or city (optional)"),
        filters=[clean_text],
        validators=[
            Optional(),
            Length(
                max=POSTCODE_CITY_MAX,
                message=_l("Please keep this to %(max)s characters or fewer."),
            ),
            readable,
        ],
        render_kw={"autocomplete": "address-level2", "maxlength": POSTCODE_CITY_MAX},
    )
    keep_informed = BooleanField(_l("Keep me informed about the campaign by email"))
    show_name = BooleanField(_l("Show my given name and country in the list of recent signers"))
    discreet_mail = BooleanField(_l("Send me only discreet emails"))
    # Shown only with the warning about an address under Russian or Belarusian law.
    mail_risk_accepted = BooleanField(_l("Use this address anyway; write to it discreetly"))
    # Bot traps (see bots.py): a field people never see, and when the form was served.
    # A name no autofill heuristic takes for an address, phone, URL or name field.
    leave_this_empty = StringField(_l("Leave this field empty"))
    started = HiddenField()  # site.js fetches it (/api/form-stamp); a resubmission keeps its own
    # Where the signer came from: the link's ?source= (or utm_source) and utm_campaign,
    # carried in the page itself (no cookie); an invalid code is dropped, never an error.
    source = HiddenField(filters=[source_code])
    campaign = HiddenField(filters=[source_code])
    # A staff test's signed token (petition/test_signatures.py); empty for everyone else.
    test_token = HiddenField(validators=[Length(max=200)])

    # Set by validate(): the law the address's mail provider is under (None: not listed).
    mail_risk: Jurisdiction | None = None

    @classmethod
    def for_link(cls, query_string: str) -> "SignatureForm":
        """An empty form carrying the source a link to the page gave (its raw query string,
        read by text.link_codes as the response cache reads it)."""
        form = cls(formdata=None)
        form.source.data, form.campaign.data = link_codes(query_string)
        return form

    def validate_email(self, field: EmailField) -> None:
        """Check the address's form (and its domain, when configured) and tidy it."""
        check_email_field(field)

    def validate(self, extra_validators=None) -> bool:
        """The fields' checks, then the warning for an address under Russian or Belarusian
        law: it depends on the domain alone, so it says nothing about who has signed."""
        valid = super().validate(extra_validators)
        if self.email.data and not self.email.errors:
            self.mail_risk = mail_risk.jurisdiction_of(self.email.data)
        return valid and not self.mail_risk_unanswered

    @property
    def mail_risk_unanswered(self) -> bool:
        """The address is under Russian or Belarusian law and the signer has not yet chosen
        to keep it: nothing is stored until they do (or give another address)."""
        return self.mail_risk is not None and not self.mail_risk_accepted.data

    def validate_country(self, field: StringField) -> None:
        """Only ISO 3166 codes from the list are accepted."""
        if field.data and field.data not in country_names():
            raise ValidationError(_("Please choose your country from the list."))

    def to_signature(
        self, review_marks: list[str], network_hash: bytes | None = None
    ) -> NewSignature:
        """The validated fields, in the shape the signing rules take."""
        return NewSignature(
            network_hash=network_hash,
            given_name=self.given_name.data,
            family_name=self.family_name.data or "",
            email=self.email.data,
            country=self.country.data,
            postcode_city=self.postcode_city.data or None,
            keep_informed=bool(self.keep_informed.data),
            show_name=bool(self.show_name.data),
            language=current_language(),
            review_marks=tuple(review_marks),
            source=self.source.data or None,
            source_campaign=self.campaign.data or None,
            discreet_mail=bool(self.discreet_mail.data or self.mail_risk_accepted.data),
        )
