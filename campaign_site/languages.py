"""The languages the site speaks: one record each, and everything else derives from here.

Routes (/de/...), sitemaps and hreflang, share cards and their og:locale, the language
switcher and the "read this in ..." offer, the admin's notice and update forms and the tests
all read LANGUAGES. Adding a language is one record here plus its gettext catalog
(campaign_site/translations/<code>/LC_MESSAGES/messages.po; docs/languages.md).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    """One language of the site."""

    code: str  # the URL prefix and the gettext catalog's name
    native_name: str  # in the language switcher, in its own words
    english_name: str  # in the admin, which is written in English
    og_locale: str  # share cards' og:locale
    read_this: str  # the English page's offer, in the language itself
    no_thanks: str  # ... and how to dismiss it
    direction: str = "ltr"


ENGLISH = Language("en", "English", "English", "en_GB", "Read this page in English", "No, thanks")
LANGUAGES: tuple[Language, ...] = (
    ENGLISH,
    Language("de", "Deutsch", "German", "de_DE", "Diese Seite auf Deutsch lesen", "Nein, danke"),
    Language("fr", "Français", "French", "fr_FR", "Lire cette page en français", "Non, merci"),
    Language("ru", "Русский", "Russian", "ru_RU", "Читать эту страницу по-русски", "Нет, спасибо"),
    Language(
        "uk", "Українська", "Ukrainian", "uk_UA", "Читати цю сторінку українською", "Ні, дякую"
    ),
)
DEFAULT_LANGUAGE = ENGLISH.code  # served at /, and the text every other language falls back to
BY_CODE = {language.code: language for language in LANGUAGES}
CODES = tuple(BY_CODE)
TRANSLATED = tuple(code for code in CODES if code != DEFAULT_LANGUAGE)  # those with a catalog


def english_names(codes: tuple[str, ...] = CODES) -> str:
    """'English, German, French, Russian and Ukrainian': for the admin's messages."""
    names = [BY_CODE[code].english_name for code in codes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
