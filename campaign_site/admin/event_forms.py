"""The form for a new screening or other event: title, city, date, time, venue, film and
language."""

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from campaign_site.languages import DEFAULT_LANGUAGE
from campaign_site.petition.events import CITY_MAX, TITLE_MAX, VENUE_MAX
from campaign_site.text import clean_text
from campaign_site.web.i18n import LANGUAGES

FILM_TITLES = {"justice": "Justice for Sergei", "files": "The Magnitsky Files"}


class DayField(DateField):
    """A date input (the browser's calendar sends YYYY-MM-DD whatever it shows), with a
    message saying what to do instead of WTForms' "Not a valid date value"."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter a real date: choose it in the calendar.") from error


class HourField(TimeField):
    """A time input (the browser sends HH:MM whatever it shows), with a plain message."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter a real time: choose it in the box, e.g. 19:30.") from error


class EventForm(FlaskForm):
    """A screening or other event; the site gives it its source code."""

    title = StringField(
        "Title (e.g. Screening of Justice for Sergei and talk)",
        filters=[clean_text],
        validators=[
            DataRequired("Please enter the event's title."),
            Length(max=TITLE_MAX, message=f"Keep the title under {TITLE_MAX} characters."),
        ],
    )
    city = StringField(
        "City",
        filters=[clean_text],
        validators=[
            DataRequired("Please enter the city."),
            Length(max=CITY_MAX, message=f"Keep the city under {CITY_MAX} characters."),
        ],
    )
    starts_on = DayField("Date", validators=[InputRequired("Please choose the event's date.")])
    starts_at = HourField("Start time (optional)", validators=[Optional()])
    venue = StringField(
        "Venue (optional, e.g. Kino Babylon, Rosa-Luxemburg-Str. 30)",
        filters=[clean_text],
        validators=[
            Optional(),
            Length(max=VENUE_MAX, message=f"Keep the venue under {VENUE_MAX} characters."),
        ],
    )
    film = SelectField(
        "Film",
        choices=[SelectChoice(film, title) for film, title in FILM_TITLES.items()],
        validate_choice=False,  # AnyOf below says what is wrong more plainly
        validators=[AnyOf(list(FILM_TITLES), message="Choose one of the two films.")],
    )
    language = SelectField(
        "Language of the campaign page the QR code opens",
        choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
        default=DEFAULT_LANGUAGE,
        validate_choice=False,
        validators=[AnyOf(list(LANGUAGES), message="Choose one of the site's languages.")],
    )
