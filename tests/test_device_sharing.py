"""The page after confirming offers the share sheet and Mastodon beside the share links,
hidden until site.js can do them (no inline script: the CSP allows none)."""

import re

from support import sign

from campaign_site.extensions import db
from campaign_site.models import Signature
from campaign_site.petition import link_tokens


def confirmed_page(app, prefix: str = "") -> str:
    client = app.test_client()
    sign(client)
    with app.app_context():
        signature = db.session.scalars(db.select(Signature)).one()
        link = f"{prefix}/confirm/{link_tokens.make_token(signature, link_tokens.CONFIRM)}"
        db.session.rollback()
    return client.get(link).get_data(as_text=True)


def test_share_sheet_and_mastodon_wait_for_script_and_the_links_stay(app):
    page = confirmed_page(app)
    assert '<p class="share-device" hidden>' in page
    assert re.search(r'<form class="mastodon-share" data-mastodon-share [^>]*hidden', page)
    assert 'data-share-url="http://localhost/?source=share:mastodon"' in page
    assert "https://wa.me/?text=" in page and "https://t.me/share/url" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)


def test_they_speak_the_visitors_language(app):
    page = confirmed_page(app, "/de")
    assert "Auf Mastodon teilen" in page
    assert 'data-share-url="http://localhost/de/?source=share:device"' in page
