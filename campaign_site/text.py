"""Text rules with no state: cleaning what people type, addresses out of error text, admin
email matching, and the one word of a given name the site may show."""

import re
import unicodedata
from typing import NamedTuple
from urllib.parse import parse_qsl

# Bidirectional overrides and isolates can disguise text (e.g. reverse a name's letters).
_BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


def clean_text(value: str | None) -> str | None:
    """NFC-normalize, turn control characters into spaces, drop bidi overrides, fold spaces."""
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value)
    value = "".join(
        " " if unicodedata.category(ch) == "Cc" else ch for ch in value if ch not in _BIDI_CONTROLS
    )
    return " ".join(value.split())


# Anything shaped like an address inside an error message: local@domain, no spaces or brackets.
_ADDRESS = re.compile(r"[^\s<>()\[\]{}'\",;:]+@[^\s<>()\[\]{}'\",;:]+")


def without_addresses(text: str) -> str:
    """Text (a mail server's error, say) with every email address replaced by <address>."""
    return _ADDRESS.sub("<address>", text)


def normalize_admin_email(email: str) -> str:
    """Admin logins ignore letter case, stray control characters and surrounding spaces."""
    return (clean_text(email) or "").casefold()


# A shown name is one word of letters (any script) with inner marks, apostrophes or hyphens
# and at most a final full stop: never a link, an address, digits, a slogan or a long text.
PUBLIC_NAME_MAX = 30
_NAME_INNER = frozenset("'’-")


def public_name(given_name: str) -> str | None:
    """What the site may show of a given name (recent signers, greetings): its first word,
    if that looks like a name; otherwise None, and nothing is shown."""
    words = given_name.split()
    if not words:
        return None
    word = words[0]
    letters = word.removesuffix(".")
    if not letters or len(word) > PUBLIC_NAME_MAX or not _is_letter(letters[0]):
        return None
    if all(
        _is_letter(ch) or unicodedata.category(ch).startswith("M") or ch in _NAME_INNER
        for ch in letters
    ):
        return word
    return None


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch).startswith("L")


SOURCE_CODE = re.compile(r"[A-Za-z0-9_:-]{1,64}")


def source_code(raw: str | None) -> str | None:
    """A link's ?source= (or utm_source/utm_campaign) value if it is a valid code: letters,
    digits, "-", "_", ":", at most 64 characters. Anything else is dropped, never reflected."""
    if raw is None or not SOURCE_CODE.fullmatch(raw):
        return None
    return raw


class LinkCodes(NamedTuple):
    """Where a link to the campaign page says its visitor came from."""

    source: str | None
    campaign: str | None


def link_codes(query_string: str) -> LinkCodes:
    """The source and campaign codes of a link (?source=, else utm_source; utm_campaign), each
    the FIRST value given, blank or not, and only if valid. The page's form and the response
    cache's key both read the query here and nowhere else, so they cannot disagree about
    `?source=&source=a&utm_source=b` and one visitor cannot put a source on another's page."""
    first: dict[str, str] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        first.setdefault(name, value)
    return LinkCodes(
        source_code(first.get("source")) or source_code(first.get("utm_source")),
        source_code(first.get("utm_campaign")),
    )
