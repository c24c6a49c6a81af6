"""Share links for the petition: plain links to each network's own share page, so no
third-party script ever loads and nothing reaches a network until the supporter clicks."""

from urllib.parse import quote

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from campaign_site.web import i18n

# Said only on behalf of someone whose signature counts (confirmed, or no confirmation asked).
SIGNED_TEXT = _l("I signed the petition for justice for Sergei Magnitsky. Will you?")


def campaign_url(network: str | None = None) -> str:
    """The absolute address of the campaign page in this language, as people should share
    it; with a network, tagged ?source=share:<network> so organisers see which brings signers."""
    page = i18n.public_url_in(i18n.current_language(), "/")
    return f"{page}?source=share:{network}" if network else page


def share_links() -> list[tuple[str, str]]:
    """(network, URL) pairs in the order people here use them most."""
    message = quote(str(SIGNED_TEXT), safe="")
    subject = quote(gettext("Justice for Sergei Magnitsky"), safe="")

    def page(network: str) -> str:
        return quote(campaign_url(network), safe="")

    return [
        (gettext("Email"), f"mailto:?subject={subject}&body={message}%20{page('email')}"),
        ("WhatsApp", f"https://wa.me/?text={message}%20{page('whatsapp')}"),
        ("Telegram", f"https://t.me/share/url?url={page('telegram')}&text={message}"),
        ("VK", f"https://vk.com/share.php?url={page('vk')}&title={message}"),
        ("X", f"https://x.com/intent/post?text={message}&url={page('x')}"),
        ("Facebook", f"https://www.facebook.com/sharer/sharer.php?u={page('facebook')}"),
        ("LinkedIn", f"https://www.linkedin.com/sharing/share-offsite/?url={page('linkedin')}"),
        ("Bluesky", f"https://bsky.app/intent/compose?text={message}%20{page('bluesky')}"),
    ]


def device_sharing() -> dict[str, str]:
    """What site.js shares through the browser's share sheet and on a Mastodon server the
    supporter types: the signed text and the page, tagged by way of sharing."""
    return {
        "text": str(SIGNED_TEXT),
        "device_url": campaign_url("device"),
        "mastodon_url": campaign_url("mastodon"),
    }


def tell_a_friend_link() -> str:
    """An email a supporter sends a friend themselves, in their words once they edit it."""
    subject = quote(gettext("Justice for Sergei Magnitsky"), safe="")
    body = quote(
        gettext("I have signed this petition and thought of you. Will you add your name?")
        + " "
        + campaign_url("email"),
        safe="",
    )
    return f"mailto:?subject={subject}&body={body}"
