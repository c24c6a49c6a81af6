"""The ISO 3166-1 country list offered in the petition form, named in the page's language.

Codes come from pycountry; names in German, Russian and Ukrainian from Babel's CLDR data,
sorted with the Unicode collation algorithm (pyuca), so "Österreich" sorts under O and
"Україна" after "Туреччина" as readers expect, not by code point.
"""

from functools import cache

import pycountry
from babel import Locale
from markupsafe import Markup
from pyuca import Collator
from wtforms.widgets import html_params

from campaign_site.web.i18n import current_language


@cache
def _collator() -> Collator:
    return Collator()


@cache
def country_choices(language: str = "en") -> tuple[tuple[str, str], ...]:
    """(alpha-2 code, everyday name) pairs sorted by name in language, for the select box."""
    names = Locale.parse(language).territories
    pairs = []
    for country in pycountry.countries:
        english = getattr(country, "common_name", None) or country.name
        name = english if language == "en" else names.get(country.alpha_2, english)
        pairs.append((country.alpha_2, name))
    key = _collator().sort_key
    return tuple(sorted(pairs, key=lambda pair: key(pair[1].casefold())))


@cache
def country_names(language: str = "en") -> dict[str, str]:
    """Alpha-2 code to everyday name in language."""
    return dict(country_choices(language))


def country_name(code: str, language: str | None = None) -> str:
    """The everyday name of a country code (in the page's language), or the code if unknown."""
    return country_names(language or current_language()).get(code, code)


@cache
def country_options_html(selected: str, language: str, prompt: str) -> Markup:
    """The <option> list for the select, rendered once per selected value and language
    (at most ~250 codes x 4 languages: CountrySelect passes only listed codes).

    Rendering 250 options through WTForms took most of the page's time; the list never
    changes while the process runs.
    """
    options = [Markup('<option value="">{}</option>').format(prompt)]
    for code, name in country_choices(language):
        mark = " selected" if code == selected else ""
        options.append(Markup('<option value="{}"{}>{}</option>').format(code, Markup(mark), name))
    return Markup("").join(options)


class CountrySelect:
    """A <select> widget whose options come from the cache above."""

    def __call__(self, field, **kwargs) -> Markup:
        from flask_babel import gettext

        kwargs.setdefault("id", field.id)
        language = current_language()
        # Only a listed code may key the cache: a posted junk value would otherwise stay in
        # memory for the worker's life, one entry per distinct value a client sends.
        selected = field.data if field.data in country_names(language) else ""
        options = country_options_html(selected, language, gettext("Choose your country"))
        return Markup("<select {}>{}</select>").format(
            html_params(name=field.name, **kwargs), options
        )
