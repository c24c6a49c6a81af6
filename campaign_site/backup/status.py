"""When the last backup was made, for /healthz and the dashboard (kept in site_setting)."""

from datetime import datetime, timedelta

from flask import current_app

from campaign_site.database import write_transaction
from campaign_site.extensions import db
from campaign_site.models import SiteSetting, utcnow

LAST_BACKUP_SETTING = "last_backup_at"


def record_backup_time() -> None:
    """Remember that a backup was written just now."""
    with write_transaction(db.session):
        setting = db.session.get(SiteSetting, LAST_BACKUP_SETTING)
        stamp = utcnow().isoformat(timespec="seconds")
        if setting is None:
            db.session.add(SiteSetting(key=LAST_BACKUP_SETTING, value=stamp))
        else:
            setting.value = stamp


def last_backup_at() -> datetime | None:
    setting = db.session.get(SiteSetting, LAST_BACKUP_SETTING)
    return datetime.fromisoformat(setting.value) if setting else None


def backup_overdue(last: datetime | None, now: datetime | None = None) -> bool:
    """No backup yet, or the last one older than BACKUP_MAX_AGE_HOURS."""
    hours = current_app.config["BACKUP_MAX_AGE_HOURS"]
    return last is None or (now or utcnow()) - last > timedelta(hours=hours)
