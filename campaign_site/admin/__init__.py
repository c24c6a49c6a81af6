"""The admin area: login, dashboard, CSV export. Every page but login needs an admin."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from campaign_site.admin import views  # noqa: E402,F401  (routes register themselves on bp)
