"""Template filters for showing numbers and the campaign's own texts to people, in the
page's language."""

from dataclasses import dataclass
from datetime import date
from functools import cache

from babel.numbers import format_decimal
from flask import Flask, current_app, g
from flask_babel import format_date, gettext
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError

from campaign_site.content import Content, NextStep
from campaign_site.petition import campaign_content, closing, milestones, public_figures, response
from campaign_site.petition import site_notice as site_notice_store
from campaign_site.web.i18n import current_language


def thousands(value: int) -> str:
    """12345 as '12,345' in English, '12.345' in German, '12 345' in Russian and Ukrainian.

    Babel's own formatting cost about 60 us a number, and the admin's signatures page shows
    some 600: Python groups by threes and the language's separator goes in (Babel still
    formats what that would not say as it does).
    """
    language = current_language()
    separator = _group_separator(language)
    if separator is None or not isinstance(value, int) or value < 0:
        return format_decimal(value, locale=language)
    return f"{value:,}".replace(",", separator)


@cache
def _group_separator(language: str) -> str | None:
    """The language's separator, when Babel groups every whole number of four or more
    digits by threes with it; else None (one registry language each, so a handful)."""
    sample = format_decimal(1234567, locale=language)
    separator = sample[1]
    if (sample, format_decimal(1000, locale=language)) != (
        f"1{separator}234{separator}567",
        f"1{separator}000",
    ):
        return None
    return separator


def quantity(value: int, noun: str) -> str:
    """'1 signature', '2,000 signatures': a count and its English noun (plural with -s), for
    the admin pages, which are in English; the public pages use ngettext."""
    return f"{thousands(value)} {noun if value == 1 else noun + 's'}"


def translated(text: str) -> str:
    """A text of the campaign's content in the page's language: the organisers' own
    translation, else the catalog's ("" stays "": gettext("") would give the catalog's
    header)."""
    if not text:
        return ""
    return campaign().own_translation(text, current_language()) or gettext(text)


def with_citations(text: str) -> Markup:
    """Escape a text, then let its <cite> marks (film titles) through, and nothing else."""
    escaped = str(escape(text))
    return Markup(escaped.replace("&lt;cite&gt;", "<cite>").replace("&lt;/cite&gt;", "</cite>"))


PREVIEW_KEY = "campaign_preview"  # in flask.g: the draft a preview page shows instead


def campaign() -> Content:
    """The campaign's texts and facts: what is published (petition/campaign_content.py, read
    through the short cache), or on a preview page the version being previewed."""
    preview: Content | None = g.get(PREVIEW_KEY)
    return preview or campaign_content.current_content()


def site_notice() -> str:
    """The admins' notice for this page's language, if any. Error pages use it too, so a
    database that does not answer means no notice, never a second error."""
    try:
        return site_notice_store.notice_in(current_language())
    except SQLAlchemyError:
        current_app.logger.exception("site notice: the database did not answer")
        return ""


def long_date(day: date) -> str:
    """'20 December 2026', '20. Dezember 2026', '20 декабря 2026 г.': in the page's language."""
    return format_date(day, "long")


@dataclass(frozen=True)
class Closure:
    """What every public page says once the petition has closed."""

    closed_on: date
    count: int  # public_figures, the one seam for public counts
    next_step: NextStep


def petition_closure() -> Closure | None:
    """The closed petition's facts for the page, or None while it is open. Error pages use
    it too: a database that does not answer means no notice, never a second error."""
    moment = closing.closes_at()
    if moment is None or not closing.is_closed():
        return None
    try:
        count = public_figures.recent_public_figures().online
    except SQLAlchemyError:
        current_app.logger.exception("closed notice: the database did not answer")
        return None
    return Closure(moment.date(), count, campaign().next_step)


@dataclass(frozen=True)
class ShownAnswer:
    """The addressee's answer as this page shows it."""

    responded_on: date
    language: str  # the language the text is written in (English where none in the page's)
    text: str
    link: str


def petition_answer() -> ShownAnswer | None:
    """The addressee's answer in the page's language (English where it has none), if any."""
    try:
        answer = response.current()
    except SQLAlchemyError:
        current_app.logger.exception("answer: the database did not answer")
        return None
    if answer is None:
        return None
    language, text = answer.text_in(current_language())
    return ShownAnswer(answer.responded_on, language, text, answer.link)


def milestone_progress(count: int) -> milestones.Progress:
    """The next milestone of the content file, and those reached with their days."""
    return milestones.progress(campaign().milestones, count)


def register(app: Flask) -> None:
    """Make the filters available in every template."""
    app.add_template_filter(thousands)
    app.add_template_filter(quantity)
    app.add_template_filter(translated)
    app.add_template_filter(with_citations)
    app.add_template_global(campaign)
    app.add_template_global(site_notice)
    app.add_template_filter(long_date)
    app.add_template_global(petition_closure)
    app.add_template_global(petition_answer)
    app.add_template_global(milestone_progress)
