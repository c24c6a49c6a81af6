"""The delivery pack's choices: its language, and the date and place of handing over."""

from datetime import date

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Length, Optional, ValidationError

from campaign_site.admin.event_forms import DayField
from campaign_site.languages import BY_CODE, DEFAULT_LANGUAGE
from campaign_site.text import clean_text

PLACE_MAX = 120
EARLIEST_HANDOVER = date(2009, 11, 16)  # the day Sergei Magnitsky died: nothing is before it


class DeliveryPackForm(FlaskForm):
    """Read from the query string: it only chooses what the printed page says and stores
    nothing, so it needs no CSRF token (a link to it can change nothing)."""

    class Meta:
        csrf = False

    language = SelectField(
        "Language of the pack",
        choices=[SelectChoice(code, lang.english_name) for code, lang in BY_CODE.items()],
        default=DEFAULT_LANGUAGE,
        validate_choice=False,  # AnyOf says what is wrong more plainly
        validators=[AnyOf(list(BY_CODE), message="Choose one of the site's languages.")],
    )
    handed_on = DayField("Date of handing over (optional)", validators=[Optional()])
    place = StringField(
        "Place of handing over (optional, e.g. Bundestag, Berlin)",
        filters=[clean_text],
        validators=[
            Optional(),
            Length(max=PLACE_MAX, message=f"Keep the place under {PLACE_MAX} characters."),
        ],
    )

    def validate_handed_on(self, field: DayField) -> None:
        if field.data and field.data < EARLIEST_HANDOVER:
            raise ValidationError("Choose a date in the campaign's time, not before 2009.")
