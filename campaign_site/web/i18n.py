"""Languages, chosen by the URL: the campaign in every language of campaign_site/languages.py.

/de/..., /fr/... (each language's code) serve those languages and / is English, so a shared link keeps
its language. A small WSGI middleware moves the prefix into SCRIPT_NAME: Flask then builds
every URL with it, and no view needs to know. Pages never depend on Accept-Language or a
cookie (shared caches keep one copy per URL): English pages carry LANGUAGE_SUGGESTIONS.
"""

from babel import Locale
from babel.lists import format_list
from flask import Flask, current_app, has_app_context, has_request_context, request
from flask_babel import Babel, force_locale, get_locale, gettext, ngettext

from campaign_site import languages as registry

# code -> name in its own words, for the switcher and hreflang (derived from the registry).
LANGUAGES = {language.code: language.native_name for language in registry.LANGUAGES}
DEFAULT_LANGUAGE = registry.DEFAULT_LANGUAGE
LANGUAGE_KEY = "campaign_site.language"  # in the WSGI environ
BASE_KEY = "campaign_site.base"  # SCRIPT_NAME before the language prefix
# The English pages offer the visitor's own language in that language (site.js shows the
# one their browser prefers): a suggestion, not a redirect, so / is the same for everyone.
LANGUAGE_SUGGESTIONS = {
    language.code: (language.read_this, language.no_thanks)
    for language in registry.LANGUAGES
    if language.code != DEFAULT_LANGUAGE
}

# Pages in these languages put the way to /safety above the petition form, not only under
# it: they are read most by people signing from Russia or Belarus.
SAFETY_NOTE_LANGUAGES = frozenset({"ru", "uk"})


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


def safety_note_wanted() -> bool:
    """Whether this page's form has the note on signing safely above it."""
    return current_language() in SAFETY_NOTE_LANGUAGES


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
        LANGUAGE_SUGGESTIONS=LANGUAGE_SUGGESTIONS,
        current_language=current_language,
        language_list=language_list,
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


def language_list() -> str:
    """Every language of the site, named in the current one: "anglais, allemand, ... ou
    ukrainien" (Babel's CLDR names and list pattern)."""
    locale = Locale.parse(current_language())
    names = [locale.languages.get(code, code) for code in LANGUAGES]
    return format_list(names, style="or", locale=locale)


def plural_phrases(singular: str, plural: str) -> dict[str, str]:
    """A translated phrase for each plural category of the current language (CLDR names:
    one, few, many, other), so site.js can pick one with Intl.PluralRules for a new count.
    The strings must also appear in a literal ngettext() call to be extracted."""
    locale = Locale.parse(current_language())
    phrases: dict[str, str] = {}
    for sample in (0, 1, 2, 5, 21, 1_000_000):  # between them, every category of our languages
        phrases.setdefault(locale.plural_form(sample), ngettext(singular, plural, sample))
    return phrases


def catalog_translation(text: str, language: str) -> str:
    """The catalog's translation of an English text ("" where it has none): the campaign's
    content falls back to it in a language the organisers wrote nothing in."""
    if not text or language == DEFAULT_LANGUAGE:
        return ""
    with force_locale(language):
        translation = gettext(text)
    return translation if translation != text else ""
