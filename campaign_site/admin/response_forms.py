"""The form of /admin/response: the day of the addressee's answer (or the outcome), its
text per language (English required; a field per language of the registry) and an optional
https link."""

from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from campaign_site.languages import BY_CODE, CODES, DEFAULT_LANGUAGE
from campaign_site.petition.response import LINK_MAX, TEXT_MAX


def _text_field(code: str) -> TextAreaField:
    english = code == DEFAULT_LANGUAGE
    label = f"The answer in {BY_CODE[code].english_name}" + (
        " (required: every other language falls back to it)" if english else " (optional)"
    )
    first = InputRequired("Please write the answer in English.") if english else Optional()
    return TextAreaField(
        label,
        filters=[lambda value: (value or "").strip()],
        validators=[first, Length(max=TEXT_MAX, message=f"At most {TEXT_MAX:,} characters.")],
        render_kw={"rows": 6, "lang": code},
    )


class ResponseForm(FlaskForm):
    """The answer as organisers enter it; text_<code> per language, added below the class."""

    responded_on = DateField(
        "The day of the answer (or the outcome)",
        validators=[InputRequired("Please give the day of the answer, like 2026-03-31.")],
    )
    link = StringField(
        "Link to the whole answer (optional, https://)",
        filters=[lambda value: (value or "").strip()],
        validators=[Length(max=LINK_MAX, message=f"At most {LINK_MAX} characters.")],
    )

    def validate_link(self, field: StringField) -> None:
        if not field.data:
            return
        parts = urlsplit(field.data)
        if parts.scheme != "https" or not parts.hostname or "@" in parts.netloc:
            raise ValidationError("The link must start with https:// (a secure web address).")

    def text_fields(self) -> list:
        """The text fields, English first, in the registry's order."""
        return [self[f"text_{code}"] for code in CODES]

    def texts(self) -> dict[str, str]:
        return {code: self[f"text_{code}"].data for code in CODES if self[f"text_{code}"].data}

    def fill(self, texts: dict[str, str]) -> None:
        for code in CODES:
            self[f"text_{code}"].data = texts.get(code, "")


for _code in CODES:  # a text field per language of the registry
    setattr(ResponseForm, f"text_{_code}", _text_field(_code))
