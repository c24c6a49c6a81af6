"""What a shared link, a search engine and a crawler see: titles, cards, JSON-LD, robots, sitemap."""

import json
import re
import struct
from html.parser import HTMLParser


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
        re.escape(public) + r"/static/img/share-card\.[0-9a-f]{10}\.png", head.meta["og:image"]
    )
    assert (head.meta["og:image:width"], head.meta["og:image:height"]) == ("1200", "630")


def test_share_image_is_a_1200_by_630_png_served_from_our_host(app, client):
    path = read_head(client).meta["og:image"].removeprefix(app.config["PUBLIC_URL"])
    with client.get(path) as response:
        assert response.status_code == 200 and response.mimetype == "image/png"
        png = response.get_data()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1200, 630)


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
        for path in ("/", "/privacy")
        for prefix in ("", "/de", "/ru", "/uk")
    ]
    for location in locations:
        assert (
            client.get(location.removeprefix(public), headers={"Accept-Language": "en"}).status_code
            == 200
        )
