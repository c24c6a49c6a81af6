"""Whether signing is open: the campaign's closing time, the pause switch, confirmation."""

from datetime import datetime

from flask import current_app

from campaign_site.crypto import key_maintenance
from campaign_site.database import read_transaction, write_transaction
from campaign_site.extensions import db
from campaign_site.models import SiteSetting, utcnow
from campaign_site.petition import short_cache


def confirmation_required() -> bool:
    """Whether signatures wait for their address to be confirmed (the default)."""
    return bool(current_app.config["CONFIRMATION_REQUIRED"])


def signing_open(now: datetime | None = None) -> bool:
    """False once the campaign's closing time has passed."""
    closes_at = current_app.config["CAMPAIGN_CLOSES_AT"]
    return closes_at is None or (now or utcnow()) < closes_at


PAUSED_SETTING = "signing_paused"


def signing_paused(fresh: bool = False) -> bool:
    """True while signing is paused: by SIGNING_PAUSED, MAINTENANCE_MODE (the database is
    being moved) or an admin on the dashboard.

    The dashboard switch is read through the short cache: it takes effect on every
    worker within PUBLIC_CACHE_SECONDS, and signing costs one query less. The admin's own
    pages ask fresh, so the page after pausing says so whichever worker serves it.
    """
    if current_app.config["SIGNING_PAUSED"] or current_app.config["MAINTENANCE_MODE"]:
        return True
    if fresh:
        return _paused_by_admin_or_keys()
    return bool(short_cache.cached("signing-paused", _paused_by_admin_or_keys))


def _paused_by_admin_or_keys() -> bool:
    with read_transaction(db.session):  # ended before the signing transaction starts
        setting = db.session.get(SiteSetting, PAUSED_SETTING)
        paused = setting is not None and setting.value == "1"
        # A blind index key that did not make the stored rows would let every supporter sign twice.
        return paused or key_maintenance.blind_key_problem() is not None


def set_signing_paused(paused: bool) -> None:
    """The dashboard's pause switch; the page keeps serving either way."""
    with write_transaction(db.session):
        setting = db.session.get(SiteSetting, PAUSED_SETTING)
        if setting is None:
            db.session.add(SiteSetting(key=PAUSED_SETTING, value="1" if paused else "0"))
        else:
            setting.value = "1" if paused else "0"
    short_cache.forget_all()  # this process's next page (the admin's own) shows the new state
