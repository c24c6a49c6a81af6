"""The forms of fraud handling: which signatures (domain, network, source, review mark, time
window), what to do with them, why, and the review queue's batch action."""

import re
from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from campaign_site.crypto.signal_hashes import BadNetwork, network_hashes
from campaign_site.petition.invalidation import Criteria
from campaign_site.petition.signing import BUSY_ADDRESS, NO_FORM_STAMP, TOO_FAST
from campaign_site.text import source_code

MARKS = {
    TOO_FAST: "Sent back too fast (too_fast)",
    NO_FORM_STAMP: "No form stamp (no_form_stamp)",
    BUSY_ADDRESS: "One of many from one address (busy_address)",
}
ACTIONS = {"invalidate": "Invalidate", "revalidate": "Revalidate (undo an invalidation)"}
DOMAIN = re.compile(r"[^\s@/]+\.[^\s@/]+")
HEX = re.compile(r"[0-9a-f]{72}")
REASON_MAX = 300
ID_MAX = 2**31 - 1  # the id column's range: anything beyond is tampering
AGAIN = "Run the check again: the matches were not counted."


def _stripped(value: str | None) -> str:
    return (value or "").strip()


class WindowField(DateTimeLocalField):
    """A moment in UTC, as the browser's date-and-time picker sends it."""

    def __init__(self, label: str, **kwargs) -> None:
        # Seconds first: the confirmation re-renders the dry run's times with this format.
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"])
        kwargs.setdefault("validators", [Optional()])
        super().__init__(label, **kwargs)

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(
                "Enter the time as year-month-day and hours:minutes (UTC), e.g. 2026-03-14T18:30."
            ) from error


class CriteriaForm(FlaskForm):
    """Which signatures: every part optional; all given must match."""

    # No default: invalidating thousands by a left-over choice must take a deliberate pick.
    action = SelectField(
        "What to do",
        choices=[
            SelectChoice("", "Choose what to do"),
            *(SelectChoice(k, v) for k, v in ACTIONS.items()),
        ],
        default="",
        validate_choice=False,
        validators=[AnyOf(list(ACTIONS), message="Choose what to do: invalidate or revalidate.")],
    )
    domain = StringField(
        "Email domain (e.g. example.org)", filters=[_stripped], validators=[Length(max=253)]
    )
    network = StringField(
        "Network: an IP address or CIDR (e.g. 203.0.113.7 or 203.0.113.0/24)",
        filters=[_stripped],
        validators=[Length(max=64)],
    )
    network_ref = HiddenField(filters=[_stripped])
    domain_ref = HiddenField(filters=[_stripped])
    source = StringField("Source code", filters=[_stripped], validators=[Length(max=64)])
    mark = SelectField(
        "Review mark",
        choices=[SelectChoice("", "Any or none"), *(SelectChoice(k, v) for k, v in MARKS.items())],
        default="",
        validate_choice=False,
        validators=[AnyOf(["", *MARKS], message="Choose one of the review marks.")],
    )
    since = WindowField("Signed from (UTC)")
    until = WindowField("Signed before (UTC)")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.domain.data and not DOMAIN.fullmatch(self.domain.data):
            self.domain.errors = [
                *self.domain.errors,
                "Enter a domain like example.org, without the part before the @.",
            ]
        if self.network.data:
            try:
                network_hashes(self.network.data)
            except BadNetwork as bad:
                self.network.errors = [*self.network.errors, str(bad)]
        for ref in (self.network_ref, self.domain_ref):
            if ref.data and not HEX.fullmatch(ref.data):
                ref.errors = ["That reference is not one the fraud page shows."]
        if self.source.data and source_code(self.source.data) is None:
            self.source.errors = [
                *self.source.errors,
                "A source code has only letters, digits, - _ and :.",
            ]
        if self.since.data and self.until.data and self.until.data <= self.since.data:
            self.until.errors = [
                *self.until.errors,
                "The window ends before it starts: the second time must be later than the first.",
            ]
        return valid and not any(field.errors for field in self)

    def criteria(self) -> Criteria:
        return Criteria(
            domain=self.domain.data or None,
            network=self.network.data or None,
            network_ref=self.network_ref.data or None,
            domain_ref=self.domain_ref.data or None,
            source=self.source.data or None,
            mark=self.mark.data or None,
            since=_utc(self.since.data),
            until=_utc(self.until.data),
        )


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None else None


class ApplyForm(CriteriaForm):
    """The confirmation after a dry run: the same criteria, the reason, and for a match of
    everything the number typed by hand."""

    up_to_id = IntegerField(validators=[InputRequired(AGAIN), NumberRange(0, ID_MAX, AGAIN)])
    matched = IntegerField(validators=[InputRequired(AGAIN), NumberRange(0, ID_MAX, AGAIN)])
    reason = StringField(
        "Why (kept in the audit log)",
        filters=[_stripped],
        validators=[
            InputRequired("Please say why: the audit log keeps it with the criteria."),
            Length(max=REASON_MAX, message=f"Keep the reason under {REASON_MAX} characters."),
        ],
    )
    typed_count = IntegerField(
        "No criteria match every signature: type the number of matches to go ahead",
        validators=[Optional(), NumberRange(0, ID_MAX, "Type the number of matches shown.")],
    )


class ReviewForm(FlaskForm):
    """A batch from the review queue: accept (clear the marks) or invalidate."""

    ids = SelectMultipleField(coerce=int, validate_choice=False)
    decision = SelectField(
        "Decision",
        choices=[
            SelectChoice("accept", "Accept: they are fine"),
            SelectChoice("invalidate", "Invalidate"),
        ],
        validate_choice=False,
        validators=[AnyOf(["accept", "invalidate"], message="Choose accept or invalidate.")],
    )
    reason = StringField(
        "Why (kept in the audit log)",
        filters=[_stripped],
        validators=[
            InputRequired("Please say why: the audit log keeps it."),
            Length(max=REASON_MAX, message=f"Keep the reason under {REASON_MAX} characters."),
        ],
    )
