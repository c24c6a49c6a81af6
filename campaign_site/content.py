"""The campaign's own words and facts, from the content file (content/campaign.toml).

Organisers set the petition's addressee and demands, the timeline, the contact and imprint,
the data controller, alt texts, trailers and where to watch the films without touching
Python or templates. The texts are English msgids: `make translations-update` collects them
(extract_messages, named in babel.cfg) and the page shows each through the catalogs.
"""

import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

DEFAULT_CONTENT_FILE = Path(__file__).resolve().parent.parent / "content" / "campaign.toml"
FILMS = ("justice", "files")  # the page describes these two; the file adds links and images


class ContentError(ValueError):
    """The content file cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Film:
    facts: tuple[str, ...]
    poster_alt: str
    trailer_url: str
    trailer_service: str
    where_to_watch: tuple[Link, ...]

    @property
    def trailer_origin(self) -> str:
        """scheme://host of the trailer, for the Content-Security-Policy's frame-src."""
        parts = urlsplit(self.trailer_url)
        return f"{parts.scheme}://{parts.netloc}" if self.trailer_url else ""


@dataclass(frozen=True)
class Party:
    """Someone named on the site: the organisation behind it, or the data controller."""

    name: str
    address: str
    email: str


@dataclass(frozen=True)
class TimelineEntry:
    when: str
    text: str


@dataclass(frozen=True)
class Milestone:
    """A goal on the way ("At 100,000 signatures we hand the petition to ..."): the page shows the next one beside
    the count, and those reached with their day (petition/milestones.py)."""

    signatures: int
    text: str


@dataclass(frozen=True)
class NextStep:
    """What supporters can do once the petition has closed: shown on every page then."""

    text: str = ""
    url: str = ""


@dataclass(frozen=True)
class Content:
    addressee: str
    demands: tuple[str, ...]
    timeline: tuple[TimelineEntry, ...]
    contact: Party
    responsible_person: str
    controller: Party  # the contact's organisation unless the file names another
    portrait_alt: str
    films: Mapping[str, Film]
    milestones: tuple[Milestone, ...] = ()  # by signatures, smallest first
    next_step: NextStep = NextStep()
    # Language -> English text -> the organisers' own translation (set from /admin/content);
    # a text without one is shown through the catalogs, as the file's texts are.
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def own_translation(self, text: str, language: str) -> str:
        """The organisers' own text in this language for an English text ("" for none)."""
        return self.translations.get(language, {}).get(text, "")

    def untranslated(self, language: str, in_catalog: Callable[[str], bool]) -> list[str]:
        """The English texts a page in this language would show in English: neither an own
        translation nor one in the catalog (in_catalog asks the catalog)."""
        return [
            text
            for text in dict.fromkeys(self.translatable())
            if text and not self.own_translation(text, language) and not in_catalog(text)
        ]

    def missing_for_launch(self) -> list[str]:
        """The entries production will not start without: the sources do not give them."""
        required = {
            "petition.addressee": self.addressee,
            "petition.demands": "".join(self.demands),
            "contact.organisation": self.contact.name,
            "contact.address": self.contact.address,
            "contact.email": self.contact.email,
        }
        return [name for name, value in required.items() if not value.strip()]

    def trailer_origins(self) -> list[str]:
        return sorted({film.trailer_origin for film in self.films.values() if film.trailer_url})

    def translatable(self) -> Iterator[str]:
        """Every text shown through the catalogs (addresses, emails and links are not)."""
        yield self.addressee
        yield from self.demands
        for entry in self.timeline:
            yield entry.when
            yield entry.text
        yield self.portrait_alt
        for film in self.films.values():
            yield from film.facts
            yield film.poster_alt
            yield from (link.label for link in film.where_to_watch)
        yield from (milestone.text for milestone in self.milestones)
        yield self.next_step.text


def load(path: str | Path) -> Content:
    """Read and check the content file; a ContentError says what to fix."""
    data = read_tables(path)
    try:
        return _content(data)
    except ContentError as error:
        raise ContentError(f"{path}: {error}") from None


def read_tables(path: str | Path) -> dict[str, Any]:
    """The content file's tables as TOML gives them (what /admin/content starts from)."""
    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except OSError as error:
        raise ContentError(f"cannot read the content file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ContentError(f"{path} is not valid TOML: {error}") from None


def from_document(document: Mapping[str, Any]) -> Content:
    """Content from a version saved in /admin/content: {"tables": the content file's tables
    (English), "translations": {language: {English text: own text}}}."""
    content = _content(document.get("tables", {}))
    translations = {
        language: {english: own.strip() for english, own in texts.items() if own.strip()}
        for language, texts in document.get("translations", {}).items()
    }
    return Content(**{**vars(content), "translations": translations})


def _content(data: Mapping[str, Any]) -> Content:
    petition = _table(data, "petition")
    contact_table = _table(data, "contact")
    contact = Party(
        _text(contact_table, "organisation", "contact"),
        _text(contact_table, "address", "contact"),
        _email(contact_table, "email", "contact"),
    )
    controller_table = _table(data, "data_controller")
    controller = Party(
        _text(controller_table, "name", "data_controller") or contact.name,
        _text(controller_table, "address", "data_controller") or contact.address,
        _email(controller_table, "email", "data_controller") or contact.email,
    )
    films = _table(data, "films")
    unknown = set(films) - set(FILMS)
    if unknown:
        raise ContentError(f"films.{sorted(unknown)[0]}: the page knows only {', '.join(FILMS)}")
    return Content(
        addressee=_text(petition, "addressee", "petition"),
        demands=tuple(_texts(petition, "demands", "petition")),
        timeline=tuple(_timeline(data.get("timeline", []))),
        contact=contact,
        responsible_person=_text(contact_table, "responsible_person", "contact"),
        controller=controller,
        portrait_alt=_text(_table(data, "portrait"), "alt", "portrait") or "Sergei Magnitsky",
        films={key: _film(_table(films, key), f"films.{key}") for key in FILMS},
        milestones=tuple(_milestones(data.get("milestones", []))),
        next_step=_next_step(_table(data, "closing")),
    )


MILESTONE_MAX = 1_000_000_000  # a count no petition reaches: a typo's extra zeros stop here


def _milestones(entries: Any) -> list[Milestone]:
    if not isinstance(entries, list):
        raise ContentError("milestones: write each as a [[milestones]] table")
    found: dict[int, Milestone] = {}
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise ContentError("milestones: write each as a [[milestones]] table")
        signatures, text = entry.get("signatures"), _text(entry, "text", "milestones")
        if isinstance(signatures, bool) or not isinstance(signatures, int):
            raise ContentError(f"milestone {number}: signatures must be a whole number")
        if not 0 < signatures <= MILESTONE_MAX or not text:
            raise ContentError(
                f"milestone {number} needs signatures (1 to {MILESTONE_MAX:,}) and a text"
            )
        if signatures in found:
            raise ContentError(f"milestone {number}: another milestone is at {signatures:,}")
        found[signatures] = Milestone(signatures, text)
    return [found[signatures] for signatures in sorted(found)]


def _next_step(table: Mapping[str, Any]) -> NextStep:
    step = NextStep(_text(table, "next_step", "closing"), _url(table, "next_step_url", "closing"))
    if step.url and not step.text:
        raise ContentError("closing.next_step: say what the link leads to")
    return step


def _film(table: Mapping[str, Any], where: str) -> Film:
    trailer_url = _url(table, "trailer_url", where)
    service = _text(table, "trailer_service", where)
    if trailer_url and not service:
        raise ContentError(f"{where}.trailer_service: say which service the trailer loads from")
    links = []
    for number, item in enumerate(table.get("where_to_watch", []), 1):
        if not isinstance(item, dict):
            raise ContentError(
                f"{where}.where_to_watch: write each as {{ label = ..., url = ... }}"
            )
        label, url = _text(item, "label", where), _url(item, "url", where)
        if not (label and url):
            raise ContentError(f"{where}.where_to_watch entry {number} needs a label and a url")
        links.append(Link(label, url))
    facts = tuple(_texts(table, "facts", where))
    return Film(facts, _text(table, "poster_alt", where), trailer_url, service, tuple(links))


def _timeline(entries: Any) -> Iterator[TimelineEntry]:
    if not isinstance(entries, list):
        raise ContentError("timeline: write each entry as a [[timeline]] table")
    for number, entry in enumerate(entries, 1):
        when, text = _text(entry, "when", "timeline"), _text(entry, "text", "timeline")
        if not (when and text):
            raise ContentError(f"timeline entry {number} needs both when and text")
        yield TimelineEntry(when, text)


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ContentError(f"{key} must be a table ([{key}])")
    return value


def _text(table: Mapping[str, Any], key: str, where: str) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise ContentError(f"{where}.{key} must be text in quotes")
    return value.strip()


def _texts(table: Mapping[str, Any], key: str, where: str) -> list[str]:
    values = table.get(key, [])
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise ContentError(f'{where}.{key} must be a list of texts: ["...", "..."]')
    return [value.strip() for value in values if value.strip()]


def _email(table: Mapping[str, Any], key: str, where: str) -> str:
    address = _text(table, key, where)
    if not address:
        return ""
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ContentError(f"{where}.{key} is not an email address: {error}") from None


def _url(table: Mapping[str, Any], key: str, where: str) -> str:
    """Only plain https links: no javascript:, no credentials in the address."""
    url = _text(table, key, where)
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or "@" in parts.netloc:
        raise ContentError(f"{where}.{key} must be an https:// address, got {url!r}")
    return url


def extract_messages(
    fileobj: BinaryIO, keywords: object, comment_tags: object, options: object
) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel extractor (babel.cfg): the content file's texts as msgids for the catalogs."""
    content = _content(tomllib.load(fileobj))
    for text in dict.fromkeys(content.translatable()):  # once each, in file order
        if text:
            yield 0, None, text, ["Set in content/campaign.toml"]
