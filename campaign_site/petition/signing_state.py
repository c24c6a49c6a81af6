"""Whether signing is open: the petition's closing time, the pause switch, confirmation."""

from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from campaign_site.crypto import key_maintenance
from campaign_site.database import read_transaction, write_transaction
from campaign_site.extensions import db
from campaign_site.models import SiteSetting
from campaign_site.petition import closing, short_cache
from campaign_site.text import clean_text


def confirmation_required() -> bool:
    """Whether signatures wait for their address to be confirmed (the default)."""
    return bool(current_app.config["CONFIRMATION_REQUIRED"])


def signing_open(now: datetime | None = None) -> bool:
    """False once the petition has closed (PETITION_CLOSES_AT; closing.py)."""
    return not closing.is_closed(now)


PAUSED_SETTING = "signing_paused"
# Who paused, and why: shown on every admin page while signing stays paused.
PAUSED_BY_SETTING = "signing_paused_by"
PAUSE_REASON_SETTING = "signing_paused_reason"
PAUSE_REASON_MAX = 200  # a short line; site_setting.value holds 255


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


@dataclass(frozen=True)
class Pause:
    """The admins' pause now in force: since when (UTC), by whom, and the reason given."""

    since: datetime
    by: str
    reason: str


def current_pause() -> Pause | None:
    """The pause an admin set, read fresh (for the admin's pages); None while signing is
    not paused by an admin (SIGNING_PAUSED and the key check say so elsewhere)."""
    with read_transaction(db.session):
        keys = (PAUSED_SETTING, PAUSED_BY_SETTING, PAUSE_REASON_SETTING)
        settings = {key: db.session.get(SiteSetting, key) for key in keys}
        switch = settings[PAUSED_SETTING]
        if switch is None or switch.value != "1":
            return None
        by, reason = settings[PAUSED_BY_SETTING], settings[PAUSE_REASON_SETTING]
        return Pause(
            since=switch.updated_at,
            by=by.value if by else "",
            reason=reason.value if reason else "",
        )


def cleaned_reason(reason: str | None) -> str:
    """The reason as stored: one line, no control characters, at most PAUSE_REASON_MAX."""
    return (clean_text(reason) or "")[:PAUSE_REASON_MAX]


def set_signing_paused(paused: bool, by: str = "", reason: str = "") -> None:
    """The dashboard's pause switch; the page keeps serving either way. Pausing records who
    and why (resuming forgets both); the switch row's updated_at says since when."""
    values = {
        PAUSED_SETTING: "1" if paused else "0",
        PAUSED_BY_SETTING: by if paused else "",
        PAUSE_REASON_SETTING: cleaned_reason(reason) if paused else "",
    }
    with write_transaction(db.session):
        for key, value in values.items():
            setting = db.session.get(SiteSetting, key)
            if setting is None:
                db.session.add(SiteSetting(key=key, value=value))
            elif setting.value != value:  # updated_at moves only with a change: "since"
                setting.value = value
    short_cache.forget_all()  # this process's next page (the admin's own) shows the new state
