"""What search engines and link previews read: robots.txt, sitemap.xml, share metadata.

Everything here uses PUBLIC_URL, so a preview or a crawler never sees an internal address.
"""

from flask import Response, current_app, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from campaign_site import languages as registry
from campaign_site.public import bp
from campaign_site.web.assets import asset_url
from campaign_site.web.i18n import LANGUAGES, current_language, public_url_in
from campaign_site.web.public_cache import public_page

SHARE_IMAGE_SIZE = (1200, 630)
# The words on the share card, one card per language: scripts/draw_share_cards.py draws them
# and tests/test_share_metadata.py fails when a card no longer says what the catalogs do.
SHARE_CARD_TEXT = {
    "campaign": _l("Global Justice Campaign"),
    "title": _l("Justice for Sergei Magnitsky"),
    "subtitle": _l("Sergei Magnitsky exposed a $230 million fraud. He died in custody for it."),
    "action": _l("Sign the petition"),
}
DESCRIPTION = _l(
    "Sergei Magnitsky exposed a $230 million tax fraud and died in Russian custody in 2009, aged 37. "
    "Sign the petition of the Global Justice Campaign, supported by the Cinema for Peace Foundation."
)
CAMPAIGN = _l("Global Justice Campaign for Sergei Magnitsky")
OG_LOCALES = {language.code: language.og_locale for language in registry.LANGUAGES}


def absolute(path: str) -> str:
    """A path on this site as the public, absolute URL."""
    return current_app.config["PUBLIC_URL"] + path


def share_image(language: str | None = None) -> str:
    """The static file name of a language's share card (the current language's by default)."""
    return f"img/share-card-{language or current_language()}.png"


def share_card_text() -> dict[str, str]:
    """What the current language's share card says, from the catalogs."""
    return {part: str(text) for part, text in SHARE_CARD_TEXT.items()}


def share_meta() -> dict:
    """The values of the page's Open Graph and Twitter card tags."""
    return {
        "url": absolute(url_for("public.index")),
        "title": _("Justice for Sergei Magnitsky: sign the petition"),
        "description": str(DESCRIPTION),
        "image": absolute(asset_url(share_image())),
        "image_width": SHARE_IMAGE_SIZE[0],
        "image_height": SHARE_IMAGE_SIZE[1],
        "image_alt": _(
            "Justice for Sergei Magnitsky. He exposed a $230 million fraud and died in custody at 37."
        ),
        "site_name": str(CAMPAIGN),
        "og_locale": OG_LOCALES[current_language()],
    }


def structured_data() -> dict:
    """schema.org JSON-LD: the campaign's site and organisation, and its two films."""
    home = absolute(url_for("public.index"))
    organization = {
        "@type": "Organization",
        "@id": f"{home}#campaign",
        "name": str(CAMPAIGN),
        "url": home,
        "sponsor": {"@type": "Organization", "name": "Cinema for Peace Foundation"},
    }
    website = {
        "@type": "WebSite",
        "@id": f"{home}#website",
        "name": "Justice for Sergei Magnitsky",
        "url": home,
        "description": str(DESCRIPTION),
        "inLanguage": current_language(),
        "publisher": {"@id": organization["@id"]},
    }
    justice = {
        "@type": "Movie",
        "name": "Justice for Sergei",
        "genre": "Documentary",
        "duration": "PT62M",
        "description": _(
            "Documentary about Sergei Magnitsky, the tax lawyer who exposed a $230 million "
            "fraud and died in custody. Director's Cut, 62 minutes."
        ),
        "award": [
            "Cinema for Peace Award for Justice 2012",
            "First Prize, Human Rights Competition, Docudays UA, Kyiv, 2011",
        ],
        "image": absolute(asset_url(share_image())),
    }
    files = {
        "@type": "Movie",
        "name": "The Magnitsky Files",
        "alternateName": "The Magnitsky Files: Organized Crime Inside the Russian Government",
        "genre": "Documentary",
        "description": _(
            "The result of a year-long investigation by Sergei Magnitsky's colleagues into "
            "the fraud he exposed and the officials behind his death."
        ),
        "releasedEvent": {
            "@type": "PublicationEvent",
            "startDate": "2012-06",
            "location": {"@type": "Place", "name": "Capitol Hill, Washington, DC"},
        },
        "image": absolute(asset_url(share_image())),
    }
    return {"@context": "https://schema.org", "@graph": [website, organization, justice, files]}


@bp.get("/robots.txt")
@public_page
def robots_txt():
    """Crawl the public pages; stay out of the admin area and the pages behind email links."""
    body = render_template("seo/robots.txt", sitemap=absolute(url_for("public.sitemap_xml")))
    return Response(body, mimetype="text/plain")


@bp.get("/sitemap.xml")
@public_page
def sitemap_xml():
    pages = [
        public_url_in(language, path)
        for path in ("/", "/privacy", "/safety", "/contact", "/accessibility")
        for language in LANGUAGES
    ]
    body = render_template("seo/sitemap.xml", pages=pages)
    return Response(body, mimetype="application/xml")
