"""The forms of campaign updates: writing one (a subject and body per language, English
required, and whom it goes to), sending a test, confirming the count, cancelling."""

from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, ValidationError

from campaign_site.languages import BY_CODE, CODES, DEFAULT_LANGUAGE, LANGUAGES, english_names
from campaign_site.mail.update_messages import normalized_body
from campaign_site.petition.updates import BODY_MAX, Audience, Text
from campaign_site.text import clean_text, source_code
from campaign_site.web.countries import country_choices

SUBJECT_MAX = 150  # what mail clients show of a subject, and then some
NOT_SPOKEN = f"The site speaks {english_names()}: choose one of them."
NAMES = {language.code: language.english_name for language in LANGUAGES}


def _body(value: str | None) -> str | None:
    return None if value is None else normalized_body(value)


def _subject_field(language: str) -> StringField:
    required = (
        " (required: every other language falls back to it)" if language == DEFAULT_LANGUAGE else ""
    )
    return StringField(
        f"Subject in {NAMES[language]}{required}",
        filters=[clean_text],
        validators=[
            Length(max=SUBJECT_MAX, message=f"Keep the subject under {SUBJECT_MAX} characters.")
        ],
    )


def _body_field(language: str) -> TextAreaField:
    return TextAreaField(
        f"Message in {NAMES[language]}",
        filters=[_body],
        validators=[
            Length(
                max=BODY_MAX,
                message=f"Keep the message under {BODY_MAX:,} characters; this one has more.",
            )
        ],
        render_kw={"rows": 12},
    )


class UpdateForm(FlaskForm):
    """An update's texts and audience: a subject and a message field per language
    (subject_<code>, body_<code>), made from the language registry below the class."""

    language = SelectField(
        "Only supporters who signed in",
        choices=[
            SelectChoice("", "Every language"),
            *(SelectChoice(c, n) for c, n in NAMES.items()),
        ],
        default="",
        validate_choice=False,
        validators=[AnyOf(["", *CODES], message=NOT_SPOKEN)],
    )
    country = SelectField(
        "Only supporters in",
        choices=[
            SelectChoice("", "Every country"),
            *(SelectChoice(c, n) for c, n in country_choices()),
        ],
        default="",
        validate_choice=False,
        validators=[
            AnyOf(
                ["", *(c for c, _ in country_choices())], message="Choose a country from the list."
            )
        ],
    )
    source = StringField(
        "Only supporters who came through the source (e.g. ev-ab12cd, partner:example)",
        filters=[lambda value: (value or "").strip()],
        validators=[Length(max=64, message="A source code has at most 64 characters.")],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for code in CODES:
            subject, body = self._pair(code)
            if code == DEFAULT_LANGUAGE and not subject.data:
                subject.errors = [
                    *subject.errors,
                    "Please write the English subject: it is the one every other language falls back to.",
                ]
            if code == DEFAULT_LANGUAGE and not body.data:
                body.errors = [
                    *body.errors,
                    "Please write the English message: it is the one every other language falls back to.",
                ]
            if code != DEFAULT_LANGUAGE and bool(subject.data) != bool(body.data):
                missing = body if subject.data else subject
                missing.errors = [
                    *missing.errors,
                    f"Write both the {NAMES[code]} subject and message, or neither (then English is sent).",
                ]
        if self.source.data and source_code(self.source.data) is None:
            self.source.errors = [
                *self.source.errors,
                "A source code has only letters, digits, - _ and :.",
            ]
        return valid and not any(field.errors for field in self)

    def _pair(self, code: str) -> tuple[StringField, TextAreaField]:
        return getattr(self, f"subject_{code}"), getattr(self, f"body_{code}")

    def language_fields(self) -> list[tuple[str, StringField, TextAreaField]]:
        """(legend, subject, message) per language, English first: what the page shows."""
        return [
            (
                BY_CODE[code].english_name + ("" if code == DEFAULT_LANGUAGE else " (optional)"),
                *self._pair(code),
            )
            for code in CODES
        ]

    def texts(self) -> dict[str, Text]:
        """The languages written, English first."""
        written = {}
        for code in CODES:
            subject, body = self._pair(code)
            if subject.data and body.data:
                written[code] = Text(subject.data, body.data)
        return written

    def audience(self) -> Audience:
        return Audience(
            self.language.data or None, self.country.data or None, self.source.data or None
        )

    def fill(self, texts: dict[str, Text], audience: Audience) -> None:
        """Show a stored draft for editing."""
        for code, text in texts.items():
            subject, body = self._pair(code)
            subject.data, body.data = text.subject, text.body
        self.language.data = audience.language or ""
        self.country.data = audience.country or ""
        self.source.data = audience.source or ""


for _code in CODES:  # the pair of fields each language of the registry gets
    setattr(UpdateForm, f"subject_{_code}", _subject_field(_code))
    setattr(UpdateForm, f"body_{_code}", _body_field(_code))


class TestSendForm(FlaskForm):
    """Send the update to any address the organiser types (their own by default), as
    supporters of one language will get it."""

    test_address = EmailField(
        "Send a test to",
        filters=[lambda value: (value or "").strip()],
        validators=[
            InputRequired("Type the address the test should go to."),
            Length(max=254, message="An email address has at most 254 characters."),
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )

    test_language = SelectField(
        "As supporters who signed in",
        choices=[SelectChoice(c, n) for c, n in NAMES.items()],
        default=DEFAULT_LANGUAGE,
        validate_choice=False,
        validators=[AnyOf(list(CODES), message=NOT_SPOKEN)],
    )

    def validate_test_address(self, field: EmailField) -> None:
        """A real address shape (no delivery check: the mail server will say)."""
        try:
            field.data = validate_email(field.data, check_deliverability=False).normalized
        except EmailNotValidError:
            raise ValidationError(
                "Type a whole email address for the test, like name@example.org."
            ) from None


class SendForm(FlaskForm):
    """The second step: the count the organiser saw, and when it was counted."""

    expected = IntegerField(
        "Recipients",
        validators=[
            InputRequired(
                "The count is missing: open the update again and confirm the count it shows."
            ),
            NumberRange(min=1, max=2**31 - 1),
        ],
    )
    as_of = HiddenField(validators=[InputRequired(), Length(max=40)])

    def counted_at(self) -> datetime | None:
        """When the organiser's count was made, or None if the form was tampered with."""
        try:
            moment = datetime.fromisoformat(self.as_of.data or "")
        except ValueError:
            return None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class PlainPostForm(FlaskForm):
    """Cancel or copy: nothing but the CSRF token."""
