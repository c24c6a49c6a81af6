"""Template filters for showing numbers and the campaign's own texts to people, in the
page's language."""

from babel.numbers import format_decimal
from flask import Flask, current_app
from flask_babel import gettext
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError

from campaign_site.content import Content
from campaign_site.petition import site_notice as site_notice_store
from campaign_site.web.i18n import current_language


def thousands(value: int) -> str:
    """12345 as '12,345' in English, '12.345' in German, '12 345' in Russian and Ukrainian."""
    return format_decimal(value, locale=current_language())


def quantity(value: int, noun: str) -> str:
    """'1 signature', '2,000 signatures': a count and its English noun (plural with -s), for
    the admin pages, which are in English; the public pages use ngettext."""
    return f"{thousands(value)} {noun if value == 1 else noun + 's'}"


def translated(text: str) -> str:
    """A text from the content file, through the catalogs ("" stays "": gettext("") would
    give the catalog's header)."""
    return gettext(text) if text else ""


def with_citations(text: str) -> Markup:
    """Escape a text, then let its <cite> marks (film titles) through, and nothing else."""
    escaped = str(escape(text))
    return Markup(escaped.replace("&lt;cite&gt;", "<cite>").replace("&lt;/cite&gt;", "</cite>"))


def campaign() -> Content:
    """The content file's texts and facts, as loaded when the app started."""
    return current_app.extensions["campaign_site.content"]


def site_notice() -> str:
    """The admins' notice for this page's language, if any. Error pages use it too, so a
    database that does not answer means no notice, never a second error."""
    try:
        return site_notice_store.notice_in(current_language())
    except SQLAlchemyError:
        current_app.logger.exception("site notice: the database did not answer")
        return ""


def register(app: Flask) -> None:
    """Make the filters available in every template."""
    app.add_template_filter(thousands)
    app.add_template_filter(quantity)
    app.add_template_filter(translated)
    app.add_template_filter(with_citations)
    app.add_template_global(campaign)
    app.add_template_global(site_notice)
