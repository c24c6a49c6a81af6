"""The form for signatures collected on paper: a count per event and country."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from campaign_site.web.countries import country_names


class PaperCountForm(FlaskForm):
    """One entry; a negative count corrects an earlier one."""

    event = SelectField("Event", coerce=str)  # choices: the view lists the events
    country = StringField(
        "Country code (two letters, e.g. DE)",
        validators=[DataRequired("Please enter the country's two-letter code.")],
    )
    signatures = IntegerField(
        "Signatures on paper (negative to correct an earlier entry)",
        validators=[InputRequired("Please enter the number of signatures as a whole number.")],
    )
    note = StringField(
        "Note (where the sheets are kept, who counted them)",
        validators=[Length(max=200, message="Keep the note under 200 characters.")],
    )

    def validate_country(self, field: StringField) -> None:
        field.data = (field.data or "").strip().upper()
        if field.data not in country_names():
            raise ValidationError("That is not a country code we know (ISO 3166, e.g. DE, UA).")
