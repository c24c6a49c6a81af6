"""Template filters for showing numbers and the campaign's own texts to people, in the
page's language."""

from babel.numbers import format_decimal
from flask import Flask, current_app, g
from flask_babel import gettext
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError

from campaign_site.content import Content
from campaign_site.petition import campaign_content
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


def register(app: Flask) -> None:
    """Make the filters available in every template."""
    app.add_template_filter(thousands)
    app.add_template_filter(quantity)
    app.add_template_filter(translated)
    app.add_template_filter(with_citations)
    app.add_template_global(campaign)
    app.add_template_global(site_notice)
