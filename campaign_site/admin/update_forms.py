"""The forms of campaign updates: writing one (a subject and body per language, English
required, and whom it goes to), sending a test, confirming the count, cancelling."""

from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange

from campaign_site.mail.update_messages import normalized_body
from campaign_site.petition.updates import BODY_MAX, Audience, Text
from campaign_site.text import clean_text, source_code
from campaign_site.web.countries import country_choices
from campaign_site.web.i18n import LANGUAGES

SUBJECT_MAX = 150  # what mail clients show of a subject, and then some
NOT_SPOKEN = "The site speaks English, German, Russian and Ukrainian: choose one of them."
NAMES = {"en": "English", "de": "German", "ru": "Russian", "uk": "Ukrainian"}


def _body(value: str | None) -> str | None:
    return None if value is None else normalized_body(value)


def _subject_field(language: str) -> StringField:
    required = " (required: every other language falls back to it)" if language == "en" else ""
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
    """An update's texts and audience."""

    subject_en, body_en = _subject_field("en"), _body_field("en")
    subject_de, body_de = _subject_field("de"), _body_field("de")
    subject_ru, body_ru = _subject_field("ru"), _body_field("ru")
    subject_uk, body_uk = _subject_field("uk"), _body_field("uk")
    language = SelectField(
        "Only supporters who signed in",
        choices=[
            SelectChoice("", "Every language"),
            *(SelectChoice(c, n) for c, n in NAMES.items()),
        ],
        default="",
        validate_choice=False,
        validators=[AnyOf(["", *LANGUAGES], message=NOT_SPOKEN)],
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
        for code in LANGUAGES:
            subject, body = self._pair(code)
            if code == "en" and not subject.data:
                subject.errors = [
                    *subject.errors,
                    "Please write the English subject: it is the one every other language falls back to.",
                ]
            if code == "en" and not body.data:
                body.errors = [
                    *body.errors,
                    "Please write the English message: it is the one every other language falls back to.",
                ]
            if code != "en" and bool(subject.data) != bool(body.data):
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

    def texts(self) -> dict[str, Text]:
        """The languages written, English first."""
        written = {}
        for code in LANGUAGES:
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


class TestSendForm(FlaskForm):
    """Send the update to oneself, as supporters of one language will get it."""

    test_language = SelectField(
        "As supporters who signed in",
        choices=[SelectChoice(c, n) for c, n in NAMES.items()],
        default="en",
        validate_choice=False,
        validators=[AnyOf(list(LANGUAGES), message=NOT_SPOKEN)],
    )


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
