"""What a shared link, a search engine and a crawler see: titles, cards, JSON-LD, robots, sitemap."""

import io
import json
import re
from html.parser import HTMLParser

import pytest
from flask_babel import force_locale
from PIL import Image

from campaign_site.languages import CODES, DEFAULT_LANGUAGE, TRANSLATED
from campaign_site.public.seo import share_card_text
from scripts.draw_share_cards import TEXT_KEY

LANGUAGE_PAGES = {code: "/" if code == DEFAULT_LANGUAGE else f"/{code}/" for code in CODES}
REDRAW = "run `python -m scripts.draw_share_cards` and commit the cards"


class HeadReader(HTMLParser):
    """Collects <meta>, <link> and JSON-LD blocks from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.json_ld: list[str] = []
        self._in_json_ld = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta":
            key = attrs.get("property") or attrs.get("name")
            if key:
                self.meta[key] = attrs.get("content", "")
        elif tag == "link":
            self.links[attrs.get("rel", "")] = attrs.get("href", "")
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._in_json_ld = True

    def handle_endtag(self, tag):
        self._in_json_ld = False

    def handle_data(self, data):
        if self._in_json_ld:
            self.json_ld.append(data)


def read_head(client, path="/") -> HeadReader:
    reader = HeadReader()
    reader.feed(client.get(path).get_data(as_text=True))
    return reader


def test_page_has_title_description_canonical_and_cards(app, client):
    head = read_head(client)
    public = app.config["PUBLIC_URL"]
    assert head.links["canonical"] == f"{public}/"
    assert "Magnitsky" in head.meta["description"]
    for key in (
        "og:title",
        "og:description",
        "og:url",
        "og:image",
        "og:image:alt",
        "twitter:title",
        "twitter:image",
        "twitter:image:alt",
    ):
        assert head.meta.get(key), key
    assert head.meta["twitter:card"] == "summary_large_image"
    assert head.meta["og:url"] == f"{public}/"
    assert re.fullmatch(
        re.escape(public) + r"/static/img/share-card-en\.[0-9a-f]{10}\.png", head.meta["og:image"]
    )
    assert (head.meta["og:image:width"], head.meta["og:image:height"]) == ("1200", "630")


def fetch_card(app, client, page) -> tuple[HeadReader, bytes]:
    """The page's head and the share card it names, fetched from our own host."""
    head = read_head(client, page)
    with client.get(head.meta["og:image"].removeprefix(app.config["PUBLIC_URL"])) as response:
        assert response.status_code == 200 and response.mimetype == "image/png"
        return head, response.get_data()


@pytest.mark.parametrize(("language", "page"), LANGUAGE_PAGES.items())
def test_each_language_shares_its_own_card_in_its_own_words(app, client, language, page):
    head, png = fetch_card(app, client, page)
    public = app.config["PUBLIC_URL"]
    assert re.fullmatch(
        re.escape(public) + rf"/static/img/share-card-{language}\.[0-9a-f]{{10}}\.png",
        head.meta["og:image"],
    )
    assert head.meta["twitter:image"] == head.meta["og:image"]
    assert (head.meta["og:image:width"], head.meta["og:image:height"]) == ("1200", "630")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 300_000
    with app.app_context(), force_locale(language):
        expected = share_card_text()
    card = Image.open(io.BytesIO(png))
    assert (card.format, card.size) == ("PNG", (1200, 630))
    drawn = json.loads(card.text.get(TEXT_KEY, "{}"))
    assert drawn == expected, (
        f"the {language} share card is out of date with the catalogs: {REDRAW}"
    )
    alt = head.meta["og:image:alt"]
    assert expected["title"] in alt, f"the {language} alt text should name the card's title"


def test_the_four_cards_differ(app, client):
    cards = {
        language: fetch_card(app, client, page)[1] for language, page in LANGUAGE_PAGES.items()
    }
    assert len(set(cards.values())) == len(LANGUAGE_PAGES)


def test_json_ld_describes_the_campaign_and_both_films(client):
    blocks = [json.loads(text) for text in read_head(client).json_ld]
    assert len(blocks) == 1
    graph = {(item["@type"], item["name"]): item for item in blocks[0]["@graph"]}
    assert ("WebSite", "Justice for Sergei Magnitsky") in graph
    assert ("Organization", "Global Justice Campaign for Sergei Magnitsky") in graph
    justice = graph[("Movie", "Justice for Sergei")]
    assert justice["duration"] == "PT62M"
    assert any("Award for Justice 2012" in award for award in justice["award"])
    files = graph[("Movie", "The Magnitsky Files")]
    assert files["releasedEvent"]["location"]["name"].startswith("Capitol Hill")


def test_json_ld_cannot_be_broken_out_of(app, client):
    """The JSON sits in a <script> block: '</script>' in any value must come out escaped."""
    html = client.get("/").get_data(as_text=True)
    block = html.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block


def test_favicon_is_linked_and_served(client):
    href = read_head(client).links["icon"]
    with client.get(href) as response:
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"


def test_robots_keeps_crawlers_out_of_private_pages_and_names_the_sitemap(app, client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    for private in ("/admin/", "/confirm/", "/withdraw/", "/unsubscribe/"):
        assert f"Disallow: {private}" in body
    assert f"Sitemap: {app.config['PUBLIC_URL']}/sitemap.xml" in body


def test_sitemap_lists_the_public_pages(app, client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    locations = re.findall(r"<loc>([^<]+)</loc>", response.get_data(as_text=True))
    public = app.config["PUBLIC_URL"]
    assert locations == [
        f"{public}{prefix}{path}"
        for path in ("/", "/privacy", "/safety", "/contact", "/accessibility")
        for prefix in ("", *(f"/{code}" for code in TRANSLATED))
    ]
    for location in locations:
        assert (
            client.get(location.removeprefix(public), headers={"Accept-Language": "en"}).status_code
            == 200
        )
