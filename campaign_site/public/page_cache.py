"""The campaign page with a blank form, rendered once per language and reused.

Everyone sees the same page but for two values, the CSRF token and the signed
"form served at" stamp: the page is cached with placeholders in their place and each
visitor's values are pasted in. It leans on the placeholders reaching the HTML unchanged
(no escaping, no second copy); tests/test_seams.py fails if a template or a library
change breaks that.
"""

from collections.abc import Callable

from flask_wtf.csrf import generate_csrf

from campaign_site.petition import short_cache
from campaign_site.public import bots

CSRF_SLOT = "__csrf_token_slot__"
STAMP_SLOT = "__form_started_slot__"


def blank_campaign_page(language: str, render: Callable[[str, str], str]) -> str:
    """The page for this visitor: render(csrf_slot, stamp_slot) is called at most once per
    language every PUBLIC_CACHE_SECONDS, then the visitor's own values are pasted in."""
    html: str = short_cache.cached(
        f"campaign-page:{language}", lambda: render(CSRF_SLOT, STAMP_SLOT)
    )
    return html.replace(CSRF_SLOT, generate_csrf(), 1).replace(
        STAMP_SLOT, bots.form_started_stamp(), 1
    )
