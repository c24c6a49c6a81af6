"""The admin area: login, the overview, signatures and charts, CSV export, settings, help, partners, organisations, events, delivery pack,
campaign updates, fraud handling. Every page but login needs an admin."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Each module's routes register themselves on bp.
from campaign_site.admin import (  # noqa: E402,F401
    accounts,
    charts,
    content,
    delivery,
    events,
    fraud,
    launch,
    navigation,
    organisations,
    partners,
    response,
    sections,
    test_signatures,
    updates,
    views,
)
