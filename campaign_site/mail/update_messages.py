"""Writing a campaign update's email: the organiser's plain text (paragraphs, bare links)
as text and HTML, in the recipient's language or English where it has no text of its own,
with the personal links and the one-click unsubscribe every update carries."""

import re
import unicodedata
from email.message import EmailMessage

from flask import render_template
from flask_babel import force_locale
from markupsafe import Markup, escape

from campaign_site.mail.messages import (
    LinkOwner,
    discreet_message,
    envelope,
    external_url,
    supporter_links,
)
from campaign_site.petition import updates
from campaign_site.petition.mail_queue import MailKind

# A link runs to the next space; a full stop, comma or bracket right after it is the
# sentence's, not the link's.
LINK = re.compile(r"https?://[^\s<>\"']*[^\s<>\"'.,;:!?)\]]")
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def normalized_body(body: str) -> str:
    """Line ends made \\n, other control and bidi-override characters gone (a NUL would not
    even store on PostgreSQL), trailing spaces and surplus blank lines gone."""
    body = unicodedata.normalize("NFC", body.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [clean_line(line) for line in body.split("\n")]
    return "\n\n".join(paragraphs("\n".join(lines)))


# Embeddings, overrides and isolates: they can make a link read as something it is not.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_line(line: str) -> str:
    kept = (
        ch
        for ch in line
        if ch == "\t" or (unicodedata.category(ch) != "Cc" and ch not in BIDI_CONTROLS)
    )
    return "".join(kept).rstrip()


def paragraphs(body: str) -> list[str]:
    return [part.strip("\n") for part in PARAGRAPH_BREAK.split(body.strip()) if part.strip()]


def body_html(body: str) -> Markup:
    """Paragraphs as <p>, line breaks as <br>, http(s) links as links; everything escaped."""
    return Markup("\n").join(
        Markup("<p>%s</p>") % Markup("<br>\n").join(_linked(line) for line in part.split("\n"))
        for part in paragraphs(body)
    )


def _linked(line: str) -> Markup:
    pieces, start = [], 0
    for found in LINK.finditer(line):
        url = found.group(0)
        pieces += [escape(line[start : found.start()]), Markup('<a href="%s">%s</a>') % (url, url)]
        start = found.end()
    pieces.append(escape(line[start:]))
    return Markup("").join(pieces)


def discreet_note(recipient: LinkOwner, update_id: int, to: str) -> EmailMessage:
    """For a discreet recipient, a neutral note in their language that there is news, with
    a link to the update on the site (/news/<id>): never its subject or text."""
    language = recipient.language
    context = {
        **supporter_links(recipient, discreet=True),
        "news_url": external_url("public.news", language, True, update_id=update_id),
    }
    with force_locale(language):
        message = discreet_message(MailKind.UPDATE, to, context)
    message["Precedence"] = "bulk"  # no out-of-office replies to a mailing
    return message


def build_test_message(
    text: updates.Text, text_language: str, to: str, signed_in: str | None = None
) -> EmailMessage:
    """What a supporter who signed in signed_in (default: the text's language) receives,
    sent to an organiser: the personal links point at the pages they open (in signed_in),
    with a token that opens nothing."""
    language = signed_in or text_language
    links = {
        "withdraw_url": external_url("links.withdraw", language, token="test"),
        "unsubscribe_url": external_url("links.unsubscribe", language, token="test"),
        "privacy_url": external_url("public.privacy", language),
        "campaign_url": external_url("public.index", language),
    }
    with force_locale(text_language):
        return compose(updates.Text(f"[Test] {text.subject}", text.body), to, links)


def compose(text: updates.Text, to: str, links: dict[str, str]) -> EmailMessage:
    """Headers, text and HTML of an update (in the current locale)."""
    context = {"subject": text.subject, "body": text.body, "body_html": body_html(text.body)}
    message = envelope(text.subject, to, links["unsubscribe_url"])
    message["Precedence"] = "bulk"  # no out-of-office replies to a mailing
    message.set_content(render_template("email/update.txt", **context, **links))
    message.add_alternative(
        render_template("email/update.html", **context, **links), subtype="html"
    )
    return message
