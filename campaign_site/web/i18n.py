"""Languages: the campaign in English, German, Russian and Ukrainian, chosen by the URL.

/de/..., /ru/... and /uk/... serve those languages and / is English, so a shared link keeps
its language. A small WSGI middleware moves the prefix into SCRIPT_NAME: Flask then builds
every URL with it, and no view needs to know. Accept-Language is consulted once only, for
a first visit to / (see public.views.index).
"""

from babel import Locale
from flask import Flask, current_app, has_app_context, has_request_context, redirect, request
from flask_babel import Babel, get_locale, ngettext

LANGUAGES = {"en": "English", "de": "Deutsch", "ru": "Русский", "uk": "Українська"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_KEY = "campaign_site.language"  # in the WSGI environ
BASE_KEY = "campaign_site.base"  # SCRIPT_NAME before the language prefix
CHOICE_COOKIE = "lang"  # set once a language was chosen or negotiated


class LanguagePrefix:
    """WSGI middleware: /ru/confirm/x is served as /confirm/x with SCRIPT_NAME /ru."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        base = environ.get("SCRIPT_NAME", "")
        environ[BASE_KEY] = base
        environ[LANGUAGE_KEY] = DEFAULT_LANGUAGE
        _, first, rest = (environ.get("PATH_INFO", "") + "/").split("/", 2)
        if first in LANGUAGES and first != DEFAULT_LANGUAGE:
            environ[LANGUAGE_KEY] = first
            environ["SCRIPT_NAME"] = f"{base}/{first}"
            environ["PATH_INFO"] = "/" + rest[:-1] if rest else "/"
        return self.app(environ, start_response)


def language_of_request() -> str:
    """Babel's locale selector: the URL's language (English outside a request)."""
    if has_request_context():
        return request.environ.get(LANGUAGE_KEY, DEFAULT_LANGUAGE)
    return DEFAULT_LANGUAGE


def current_language() -> str:
    """The language being written in: the request's URL, or outside a request the locale
    forced for an email (flask_babel.force_locale). Read from the environ in a request:
    going through Babel there is slower (benchmarks/RESULTS.md)."""
    if has_request_context():
        return request.environ.get(LANGUAGE_KEY, DEFAULT_LANGUAGE)
    if has_app_context():
        return get_locale().language
    return DEFAULT_LANGUAGE


def language_root(language: str) -> str:
    """The path prefix of a language: '' for English, '/de' for German."""
    return "" if language == DEFAULT_LANGUAGE else f"/{language}"


def url_in(language: str, path: str | None = None) -> str:
    """This page (or path) in another language, as a root-relative URL."""
    base = request.environ.get(BASE_KEY, "")
    return base + language_root(language) + (request.path if path is None else path)


def public_url_in(language: str, path: str) -> str:
    """The absolute, public address of path in a language (canonical, hreflang)."""
    return current_app.config["PUBLIC_URL"] + language_root(language) + path


def register(app: Flask) -> None:
    """Babel picks the request's language; templates get the language helpers."""
    if app.config.get("PRODUCTION"):
        from campaign_site.web.catalogs import check_catalogs

        check_catalogs()  # never serve English under /de/ because a build step was missed
    Babel(app, locale_selector=language_of_request)
    app.wsgi_app = LanguagePrefix(app.wsgi_app)
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES,
        current_language=current_language,
        url_in=url_in,
        public_url_in=public_url_in,
        country_name=_country_name,
    )
    # Country lists are named and sorted per language once per process (~0.4 s); doing it
    # here makes a gunicorn worker take requests only once it can answer them quickly.
    from campaign_site.web.countries import (
        country_choices,  # here, not at the top: countries imports this module
    )

    for language in LANGUAGES:
        country_choices(language)


def _country_name(code: str) -> str:
    from campaign_site.web.countries import (
        country_name,  # here, not at the top: countries imports this module
    )

    return country_name(code)


def plural_phrases(singular: str, plural: str) -> dict[str, str]:
    """A translated phrase for each plural category of the current language (CLDR names:
    one, few, many, other), so site.js can pick one with Intl.PluralRules for a new count.
    The strings must also appear in a literal ngettext() call to be extracted."""
    locale = Locale.parse(current_language())
    phrases: dict[str, str] = {}
    for sample in (0, 1, 2, 5, 21, 1_000_000):  # between them, every category of our languages
        phrases.setdefault(locale.plural_form(sample), ngettext(singular, plural, sample))
    return phrases


def first_visit_redirect():
    """On a first visit to /, send a browser that prefers German, Russian or Ukrainian there.

    Only once: a visitor who has been here (the choice cookie) or asked for English
    (/?hl=en, the switcher's link) always gets the page they asked for.
    """
    if (
        current_language() != DEFAULT_LANGUAGE
        or "Accept-Language" not in request.headers
        or request.args.get("hl")
        or request.cookies.get(CHOICE_COOKIE)
    ):
        return None
    best = preferred_language()
    if best == DEFAULT_LANGUAGE:
        return None
    response = redirect(url_in(best), code=302)
    _set_choice(response, best)
    response.vary.add("Accept-Language")
    return response


def preferred_language() -> str:
    """The browser's most preferred language we have, by primary subtag ("en-GB" is English).

    Werkzeug's best_match prefers any exact match, so "en-GB, de;q=0.5" would give German.
    """
    for value, _quality in request.accept_languages:  # sorted by quality, best first
        primary = value.split("-")[0].split("_")[0].lower()
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def remember_choice(response) -> None:
    """Once English was asked for (/?hl=en, the switcher), / never negotiates it away again.

    (A first-visit redirect remembers its own choice; pages under /de/ etc. need no cookie.)
    """
    response.vary.add("Accept-Language")
    if (
        request.args.get("hl") == DEFAULT_LANGUAGE
        and request.cookies.get(CHOICE_COOKIE) != DEFAULT_LANGUAGE
    ):
        _set_choice(response, DEFAULT_LANGUAGE)


def _set_choice(response, language: str) -> None:
    response.set_cookie(
        CHOICE_COOKIE,
        language,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
