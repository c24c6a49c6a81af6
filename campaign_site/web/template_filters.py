"""Template filters for showing numbers to people, in the page's language."""

from babel.numbers import format_decimal
from flask import Flask

from campaign_site.web.i18n import current_language


def thousands(value: int) -> str:
    """12345 as '12,345' in English, '12.345' in German, '12 345' in Russian and Ukrainian."""
    return format_decimal(value, locale=current_language())


def register(app: Flask) -> None:
    """Make the filters available in every template."""
    app.add_template_filter(thousands)
