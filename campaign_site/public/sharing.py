"""Share links for the petition: plain links to each network's own share page, so no
third-party script ever loads and nothing reaches a network until the supporter clicks."""

from urllib.parse import quote

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from campaign_site.web import i18n

# Said only on behalf of someone whose signature counts (confirmed, or no confirmation asked).
SIGNED_TEXT = _l("I signed the petition for justice for Sergei Magnitsky. Will you?")


def campaign_url() -> str:
    """The absolute address of the campaign page in this language, as people should share it."""
    return i18n.public_url_in(i18n.current_language(), "/")


def share_links() -> list[tuple[str, str]]:
    """(network, URL) pairs in the order people here use them most."""
    page = quote(campaign_url(), safe="")
    message = quote(str(SIGNED_TEXT), safe="")
    subject = quote(gettext("Justice for Sergei Magnitsky"), safe="")
    return [
        (gettext("Email"), f"mailto:?subject={subject}&body={message}%20{page}"),
        ("WhatsApp", f"https://wa.me/?text={message}%20{page}"),
        ("Telegram", f"https://t.me/share/url?url={page}&text={message}"),
        ("VK", f"https://vk.com/share.php?url={page}&title={message}"),
        ("X", f"https://x.com/intent/post?text={message}&url={page}"),
        ("Facebook", f"https://www.facebook.com/sharer/sharer.php?u={page}"),
        ("LinkedIn", f"https://www.linkedin.com/sharing/share-offsite/?url={page}"),
        ("Bluesky", f"https://bsky.app/intent/compose?text={message}%20{page}"),
    ]


def tell_a_friend_link() -> str:
    """An email a supporter sends a friend themselves, in their words once they edit it."""
    subject = quote(gettext("Justice for Sergei Magnitsky"), safe="")
    body = quote(
        gettext("I have signed this petition and thought of you. Will you add your name?")
        + " "
        + campaign_url(),
        safe="",
    )
    return f"mailto:?subject={subject}&body={body}"
