"""The forms of /admin/content: the campaign's words in English (everything the content
file holds), and each other language's own translations of those words.

Lists are written one entry a line ("2008 | Magnitsky testifies ..."), so an organiser edits
them as text; each line's problem is named by its number.
"""

from typing import Any
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import EmailField, Field, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from campaign_site.content import FILMS, MILESTONE_MAX

SHORT = 300  # a name, an alt text, a line of the timeline's "when"
LONG = 1000  # one demand, one fact, one timeline text
MAX_LINES = 40
FILM_NAMES = {"justice": "Justice for Sergei", "files": "The Magnitsky Files"}


def _is_https(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.hostname) and "@" not in parts.netloc


def signature_count(text: str) -> int | None:
    """'100,000' or '100 000' or '100000' as 100000; None for anything else or nothing."""
    digits = "".join(text.split()).replace(",", "").replace(".", "")
    return int(digits) if digits.isdigit() and 0 < int(digits) <= MILESTONE_MAX else None


def lines_of(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class Lines:
    """Each line at most `longest` characters, at most MAX_LINES lines; with `pair`, each
    line is "left | right" (and with `https`, right is an https address)."""

    def __init__(
        self, longest: int, pair: str = "", https: bool = False, count: bool = False
    ) -> None:
        self.longest, self.pair, self.https, self.count = longest, pair, https, count

    def __call__(self, form: FlaskForm, field: Field) -> None:
        lines = lines_of(field.data)
        if len(lines) > MAX_LINES:
            raise ValidationError(f"{field.label.text}: at most {MAX_LINES} lines, please.")
        for number, line in enumerate(lines, 1):
            if len(line) > self.longest:
                raise ValidationError(
                    f"{field.label.text}, line {number}: at most {self.longest} characters, "
                    f"please (it has {len(line)})."
                )
            if self.pair:
                left, bar, right = line.partition("|")
                if not (bar and left.strip() and right.strip()):
                    raise ValidationError(
                        f"{field.label.text}, line {number}: write it as {self.pair}."
                    )
                if self.count and signature_count(left) is None:
                    raise ValidationError(
                        f"{field.label.text}, line {number}: start with the number of "
                        "signatures, in digits (like 100000 or 100,000)."
                    )
                if self.https and not _is_https(right.strip()):
                    raise ValidationError(
                        f"{field.label.text}, line {number}: the address must start with "
                        "https:// (a secure web address)."
                    )


def _text(label: str, longest: int = SHORT, required: str = "") -> StringField:
    first = DataRequired(required) if required else Optional()
    return StringField(label, validators=[first, Length(max=longest, message=_too_long(longest))])


def _area(label: str, longest: int = LONG) -> TextAreaField:
    return TextAreaField(
        label, validators=[Optional(), Length(max=longest, message=_too_long(longest))]
    )


def _email(label: str) -> EmailField:
    return EmailField(
        label,
        validators=[
            Optional(),
            Length(max=254, message=_too_long(254)),
            Email("Please enter an email address like name@example.org."),
        ],
    )


def _too_long(longest: int) -> str:
    return f"At most {longest} characters, please."


class ContentForm(FlaskForm):
    """Everything the content file holds, in English (the text every language falls back to)."""

    addressee = _text(
        "Whom the petition is addressed to",
        required="Please write whom the petition is addressed to: the page shows it after “To:”.",
    )
    demands = TextAreaField("Demands, one a line", validators=[Lines(LONG)])
    timeline = TextAreaField(
        "Timeline, one entry a line: when | what happened",
        validators=[Lines(LONG + SHORT, pair="when | what happened")],
    )
    milestones = TextAreaField(
        "Milestones, one a line: signatures | text",
        validators=[Lines(LONG, pair="signatures | text", count=True)],
    )
    next_step = _text("After the close: what supporters can do next", LONG)
    next_step_url = _text("After the close: a link for that next step (https://, optional)", 500)
    organisation = _text("Organisation responsible for the site")
    address = _area("Its postal address", 500)
    email = _email("Its email address")
    responsible_person = _text("Person responsible for the content (optional)")
    controller_name = _text("Data controller (empty: the organisation above)")
    controller_address = _area("Data controller's postal address", 500)
    controller_email = _email("Data controller's email address")
    portrait_alt = _text("Description of the portrait (alt text)")
    justice_facts = TextAreaField("Facts, one a line", validators=[Lines(LONG)])
    justice_poster_alt = _text("Description of the poster (alt text)")
    justice_trailer_url = _text("Trailer embed address (https://)", 500)
    justice_trailer_service = _text("Service the trailer loads from (e.g. YouTube)", 100)
    justice_where_to_watch = TextAreaField(
        "Where to watch, one a line: name | https://address",
        validators=[Lines(SHORT + 500, pair="name | https://address", https=True)],
    )
    files_facts = TextAreaField("Facts, one a line", validators=[Lines(LONG)])
    files_poster_alt = _text("Description of the poster (alt text)")
    files_trailer_url = _text("Trailer embed address (https://)", 500)
    files_trailer_service = _text("Service the trailer loads from (e.g. YouTube)", 100)
    files_where_to_watch = TextAreaField(
        "Where to watch, one a line: name | https://address",
        validators=[Lines(SHORT + 500, pair="name | https://address", https=True)],
    )
    note = _text("What changed, for the list of versions (optional)", 120)

    def validate(self, extra_validators=None) -> bool:
        """Field by field, then the trailers: an address needs its service named."""
        valid = super().validate(extra_validators)
        for film in FILMS:
            url, service = self[f"{film}_trailer_url"], self[f"{film}_trailer_service"]
            if not url.errors:
                if url.data and not _is_https(url.data.strip()):
                    url.errors = [
                        "The trailer address must start with https:// (a secure web address)."
                    ]
                    valid = False
                elif url.data and not (service.data or "").strip():
                    service.errors = ["Please name the service the trailer loads from."]
                    valid = False
        step_url = self.next_step_url
        if step_url.data and not _is_https(step_url.data.strip()):
            step_url.errors = ["The link must start with https:// (a secure web address)."]
            valid = False
        elif step_url.data and not (self.next_step.data or "").strip():
            self.next_step.errors = ["Please say what the link leads to."]
            valid = False
        return valid

    def film_fields(self) -> list[tuple[str, list[Field]]]:
        """(film's name, its fields), for the template."""
        names = ("facts", "poster_alt", "trailer_url", "trailer_service", "where_to_watch")
        return [(FILM_NAMES[film], [self[f"{film}_{name}"] for name in names]) for film in FILMS]

    def tables(self) -> dict[str, Any]:
        """The content file's tables, from what was typed."""

        def text(name: str) -> str:
            return (self[name].data or "").strip()

        return {
            "petition": {"addressee": text("addressee"), "demands": lines_of(text("demands"))},
            "timeline": [
                {"when": when.strip(), "text": what.strip()}
                for when, _, what in (line.partition("|") for line in lines_of(text("timeline")))
            ],
            "contact": {
                "organisation": text("organisation"),
                "address": text("address"),
                "email": text("email"),
                "responsible_person": text("responsible_person"),
            },
            "data_controller": {
                "name": text("controller_name"),
                "address": text("controller_address"),
                "email": text("controller_email"),
            },
            "portrait": {"alt": text("portrait_alt")},
            "films": {film: self._film(film, text) for film in FILMS},
            "milestones": self._milestones(text("milestones")),
            "closing": {"next_step": text("next_step"), "next_step_url": text("next_step_url")},
        }

    @staticmethod
    def _milestones(lines: str) -> list[dict[str, Any]]:
        """Smallest first, as the page reads them (the validator made each count a number)."""
        milestones = [
            {"signatures": signature_count(count) or 0, "text": what.strip()}
            for count, _, what in (line.partition("|") for line in lines_of(lines))
        ]
        return sorted(milestones, key=lambda milestone: milestone["signatures"])

    def _film(self, film: str, text) -> dict[str, Any]:
        return {
            "facts": lines_of(text(f"{film}_facts")),
            "poster_alt": text(f"{film}_poster_alt"),
            "trailer_url": text(f"{film}_trailer_url"),
            "trailer_service": text(f"{film}_trailer_service"),
            "where_to_watch": [
                {"label": label.strip(), "url": url.strip()}
                for label, _, url in (
                    line.partition("|") for line in lines_of(text(f"{film}_where_to_watch"))
                )
            ],
        }


def form_data(tables: dict[str, Any]) -> dict[str, str]:
    """What the form shows for the content file's tables (the inverse of ContentForm.tables)."""
    petition, contact = tables.get("petition", {}), tables.get("contact", {})
    controller, films = tables.get("data_controller", {}), tables.get("films", {})
    data = {
        "addressee": petition.get("addressee", ""),
        "demands": "\n".join(petition.get("demands", [])),
        "timeline": "\n".join(f"{e['when']} | {e['text']}" for e in tables.get("timeline", [])),
        "organisation": contact.get("organisation", ""),
        "address": contact.get("address", ""),
        "email": contact.get("email", ""),
        "responsible_person": contact.get("responsible_person", ""),
        "controller_name": controller.get("name", ""),
        "controller_address": controller.get("address", ""),
        "controller_email": controller.get("email", ""),
        "portrait_alt": tables.get("portrait", {}).get("alt", ""),
        "milestones": "\n".join(
            f"{m['signatures']} | {m['text']}" for m in tables.get("milestones", [])
        ),
        "next_step": tables.get("closing", {}).get("next_step", ""),
        "next_step_url": tables.get("closing", {}).get("next_step_url", ""),
    }
    for film in FILMS:
        table = films.get(film, {})
        data |= {
            f"{film}_facts": "\n".join(table.get("facts", [])),
            f"{film}_poster_alt": table.get("poster_alt", ""),
            f"{film}_trailer_url": table.get("trailer_url", ""),
            f"{film}_trailer_service": table.get("trailer_service", ""),
            f"{film}_where_to_watch": "\n".join(
                f"{link['label']} | {link['url']}" for link in table.get("where_to_watch", [])
            ),
        }
    return data


def translation_form(texts: list[str], shown_now: list[str], language: str) -> FlaskForm:
    """A box per English text (labelled with it): the language's own words for it; empty
    keeps what is shown now (the site's translation, or the English)."""
    fields = {
        f"text_{number}": TextAreaField(
            english,
            description=now,
            render_kw={"lang": language, "rows": 2},
            validators=[Optional(), Length(max=LONG + SHORT, message=_too_long(LONG + SHORT))],
        )
        for number, (english, now) in enumerate(zip(texts, shown_now, strict=True))
    }
    form_class = type("TranslationForm", (FlaskForm,), fields)
    return form_class()


def own_texts(form: FlaskForm, texts: list[str]) -> dict[str, str]:
    """English text -> what was typed for it (empty ones left out)."""
    typed = ((english, (form[f"text_{n}"].data or "").strip()) for n, english in enumerate(texts))
    return {english: own for english, own in typed if own}
