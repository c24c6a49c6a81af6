"""The delivery pack's text in one of the site's languages: every word of the printed page
through the public catalogs (force_locale), numbers and country names in that language.

The names list folds small countries exactly as the table does (public_figures): a signer
from a country below PUBLIC_COUNTRY_MIN is named with "other countries", never their own.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from babel.numbers import format_decimal
from flask import current_app
from flask_babel import force_locale, format_date, gettext, ngettext

from campaign_site.petition import counting, paper
from campaign_site.petition.organisations import ShownOrganisation
from campaign_site.petition.public_figures import PublicFigures
from campaign_site.web.countries import country_name
from campaign_site.web.template_filters import campaign


@dataclass(frozen=True)
class Facts:
    """What the pack states, read from the database by the view."""

    figures: PublicFigures
    period: tuple[datetime, datetime] | None
    paper_lines: list[paper.EventPaper]
    names: list[counting.RecentSigner]
    handed_on: date | None
    place: str | None
    # Confirmed and approved (petition/organisations.py), as the public page shows them.
    organisations: list[ShownOrganisation] = field(default_factory=list)


@dataclass(frozen=True)
class Pack:
    """The printed page, every phrase already in its language."""

    language: str
    words: dict[str, str]
    demands: list[str]
    figures: list[tuple[str, str]]  # (label, number): online, paper, together
    countries: list[tuple[str, str]]  # (country, number), "other countries" last
    paper_lines: list[tuple[str, str, str]]  # (event, country, number)
    names: list[str]  # "Olga, Germany"
    organisations: list[tuple[str, str, str]] = field(default_factory=list)  # name, country, site


def pack_in(language: str, facts: Facts) -> Pack:
    """The pack's text in a language of the site."""
    with force_locale(language):
        minimum = current_app.config["PUBLIC_COUNTRY_MIN"]
        content = campaign()
        figures = facts.figures
        return Pack(
            language=language,
            words=_words(minimum, facts),
            demands=[gettext(demand) for demand in content.demands],
            figures=[
                (gettext("Confirmed online signatures"), _number(figures.online, language)),
                (gettext("Signatures collected on paper"), _number(figures.paper, language)),
                (gettext("All signatures together"), _number(figures.total, language)),
            ],
            countries=_country_rows(figures, minimum, language),
            paper_lines=[_paper_row(line, language) for line in facts.paper_lines],
            names=_folded_names(facts.names, figures, language),
            organisations=[
                (
                    organisation.name,
                    country_name(organisation.country, language),
                    organisation.website,
                )
                for organisation in facts.organisations
            ],
        )


def _words(minimum: int, facts: Facts) -> dict[str, str]:
    words = {
        "title": gettext("Petition: Justice for Sergei Magnitsky"),
        "by": gettext(
            "The Global Justice Campaign for Sergei Magnitsky, supported by the Cinema for "
            "Peace Foundation."
        ),
        "to": gettext("To:"),
        "addressee": gettext(campaign().addressee) if campaign().addressee else "",
        "signatures": gettext("Signatures"),
        "counted_once": gettext("Each email address counts once."),
        "by_country": gettext("Online signatures by country"),
        "country": gettext("Country"),
        "number": gettext("Signatures"),
        "folded": gettext(
            "Countries with fewer than %(min)s signatures are counted together, so that no "
            "signer in a country where signing is dangerous can be singled out.",
            min=minimum,
        ),
        "paper_title": gettext("Signatures collected on paper"),
        "paper_note": gettext(
            "Counted from signed sheets at screenings and events; not part of the online "
            "signatures above."
        ),
        "event": gettext("Event"),
        "names_title": gettext("Signers who agreed to be named"),
        "names_note": gettext(
            "Given name and country, only of those who chose to show their given name. "
            "Countries with fewer than %(min)s signatures are named as other countries.",
            min=minimum,
        ),
        "no_names": gettext("No signer has agreed to be named."),
        "organisations_title": ngettext(
            "Supported by %(num)s organisation",
            "Supported by %(num)s organisations",
            len(facts.organisations),
        ),
        "handover": _handover(facts.handed_on, facts.place),
        "period": "",
    }
    if facts.period:
        first, last = (format_date(moment.date(), "long") for moment in facts.period)
        words["period"] = gettext("Signed between %(first)s and %(last)s.", first=first, last=last)
    return words


def _handover(handed_on: date | None, place: str | None) -> str:
    if handed_on and place:
        day = format_date(handed_on, "long")
        return gettext("Handed over on %(date)s. Place: %(place)s.", date=day, place=place)
    if handed_on:
        return gettext("Handed over on %(date)s.", date=format_date(handed_on, "long"))
    if place:
        return gettext("Place of handing over: %(place)s.", place=place)
    return ""


def _number(value: int, language: str) -> str:
    return format_decimal(value, locale=language)


def _country_rows(figures: PublicFigures, minimum: int, language: str) -> list[tuple[str, str]]:
    rows = [
        (country_name(code, language), _number(n, language)) for code, n in figures.countries.shown
    ]
    if figures.countries.other:
        other = gettext("Other countries (each fewer than %(min)s)", min=minimum)
        rows.append((other, _number(figures.countries.other, language)))
    return rows


def _paper_row(line: paper.EventPaper, language: str) -> tuple[str, str, str]:
    if line.event is None:
        where = gettext("Other collections")
    else:
        day = format_date(line.event.starts_on, "long")
        where = f"{line.event.title}, {line.event.city}, {day}"
    return where, country_name(line.country, language), _number(line.signatures, language)


def _folded_names(
    names: list[counting.RecentSigner], figures: PublicFigures, language: str
) -> list[str]:
    """Given name and country, the country folded as the table folds it."""
    shown = {code for code, _ in figures.countries.shown}
    other = gettext("other countries")
    return [
        f"{signer.given_name}, "
        f"{country_name(signer.country_code, language) if signer.country_code in shown else other}"
        for signer in names
    ]
