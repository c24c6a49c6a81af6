"""The ISO 3166-1 country list offered in the petition form."""

from functools import cache

import pycountry


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
