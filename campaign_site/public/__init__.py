"""The public side: the campaign page, signing, the count API, the health check, and the
pages behind emailed links (email_links.py: blueprint `links`, templates/links/)."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from campaign_site.public import seo, views  # noqa: E402,F401  (routes register themselves on bp)
