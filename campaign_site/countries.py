"""The ISO 3166-1 country list offered in the petition form."""

from functools import cache

import pycountry
from markupsafe import Markup
from wtforms.widgets import html_params


@cache
def country_choices() -> tuple[tuple[str, str], ...]:
    """(alpha-2 code, everyday name) pairs sorted by name, for the select box."""
    pairs = (
        (country.alpha_2, getattr(country, "common_name", None) or country.name)
        for country in pycountry.countries
    )
    return tuple(sorted(pairs, key=lambda pair: pair[1].casefold()))


@cache
def country_names() -> dict[str, str]:
    """Alpha-2 code to everyday name."""
    return dict(country_choices())


def country_name(code: str) -> str:
    """The everyday name of a country code, or the code itself if unknown."""
    return country_names().get(code, code)


@cache
def country_options_html(selected: str) -> Markup:
    """The <option> list for the select, rendered once per selected value.

    Rendering 250 options through WTForms took most of the page's time; the list never
    changes while the process runs.
    """
    options = [Markup('<option value="">Choose your country</option>')]
    for code, name in country_choices():
        mark = " selected" if code == selected else ""
        options.append(Markup('<option value="{}"{}>{}</option>').format(code, Markup(mark), name))
    return Markup("").join(options)


class CountrySelect:
    """A <select> widget whose options come from the cache above."""

    def __call__(self, field, **kwargs) -> Markup:
        kwargs.setdefault("id", field.id)
        selected = field.data if isinstance(field.data, str) else ""
        return Markup("<select {}>{}</select>").format(
            html_params(name=field.name, **kwargs), country_options_html(selected)
        )
