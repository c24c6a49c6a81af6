"""Static files: content-hashed names, long cache lifetimes, nothing from other hosts."""

import gzip
import re

from campaign_site.web.assets import build_manifest


def _stylesheet_url(html: str) -> str:
    return re.search(r'<link rel="stylesheet" href="([^"]+)">', html).group(1)


def test_the_page_links_its_stylesheet_under_a_hashed_name_cached_for_a_year(client):
    url = _stylesheet_url(client.get("/").get_data(as_text=True))
    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{10}\.css", url)
    with client.get(url) as response:
        assert response.status_code == 200
        assert response.mimetype == "text/css"
        cache_control = response.headers["Cache-Control"]
    assert "max-age=31536000" in cache_control and "immutable" in cache_control


def test_unknown_static_files_are_404(client):
    assert client.get("/static/css/site.0000000000.css").status_code == 404
    assert client.get("/static/../campaign_site/config.py").status_code == 404


def test_a_changed_file_gets_a_new_name(tmp_path):
    (tmp_path / "app.css").write_text("body { color: black; }")
    before = build_manifest(tmp_path)["app.css"]
    (tmp_path / "app.css").write_text("body { color: navy; }")
    assert build_manifest(tmp_path)["app.css"] != before


# What a browser fetches to show a page (links to follow, and the canonical address, aren't).
LOADED = re.compile(
    r'<(?:script|img|source|iframe|video|audio)\b[^>]*\ssrc="([^"]+)"'
    r'|<link\b[^>]*rel="(?:stylesheet|icon|preload|modulepreload|manifest)"[^>]*href="([^"]+)"'
)


def test_the_page_loads_nothing_from_other_hosts_and_weighs_under_100_kb(client):
    html = client.get("/").get_data()
    text = html.decode()
    loaded = [a or b for a, b in LOADED.findall(text)]
    assert len(loaded) >= 3  # stylesheet, script, icon
    assert all(url.startswith("/static/") for url in loaded), loaded
    total = len(gzip.compress(html))
    for url in loaded:
        with client.get(url) as response:
            assert response.status_code == 200
            total += len(gzip.compress(response.get_data()))
    assert total < 100_000
