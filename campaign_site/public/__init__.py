"""The public side: the campaign page, signing, the count API, the health check, and the
pages behind emailed links (email_links.py: blueprint `links`, templates/links/)."""

from flask import Blueprint

from campaign_site.web.fetch_metadata import protect

# No per-visitor token on its forms: cross-site posts are refused by Fetch Metadata.
bp = protect(Blueprint("public", __name__))

from campaign_site.public import (  # noqa: E402,F401  (routes register themselves on bp)
    embed,
    event_links,
    organisation_links,
    organisations,
    seo,
    views,
)
