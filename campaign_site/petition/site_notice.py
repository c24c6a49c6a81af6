"""The site-wide notice admins set from the dashboard, for incidents ("Emails are delayed
today"): one short text per language, English shown where a language has none."""

from sqlalchemy import select

from campaign_site.database import read_transaction, write_transaction
from campaign_site.extensions import db
from campaign_site.languages import DEFAULT_LANGUAGE
from campaign_site.models import SiteSetting
from campaign_site.petition import short_cache

PREFIX = "site_notice:"
MAX_LENGTH = 250  # one or two sentences; site_settings.value holds 255


def notices(fresh: bool = False) -> dict[str, str]:
    """Language -> text of the notice now set (empty when there is none). Read through the
    short cache: every public page asks, and a change shows within PUBLIC_CACHE_SECONDS.
    The admin's own pages ask fresh: another worker's cache may not have seen a change yet."""
    if fresh:
        return _stored_notices()
    texts: dict[str, str] = short_cache.cached("site-notice", _stored_notices)
    return texts


def notice_in(language: str) -> str:
    """The notice for a page in this language; English when none was written in it."""
    texts = notices()
    return texts.get(language) or texts.get(DEFAULT_LANGUAGE, "")


def set_notices(texts: dict[str, str]) -> None:
    """Replace the notice; empty texts are removed (all empty: no notice)."""
    with write_transaction(db.session):
        for language, text in texts.items():
            setting = db.session.get(SiteSetting, PREFIX + language)
            if text.strip():
                if setting is None:
                    db.session.add(SiteSetting(key=PREFIX + language, value=text.strip()))
                else:
                    setting.value = text.strip()
            elif setting is not None:
                db.session.delete(setting)
    short_cache.forget_all()  # this process's next page shows it at once


def _stored_notices() -> dict[str, str]:
    with read_transaction(db.session):
        rows = db.session.execute(
            select(SiteSetting.key, SiteSetting.value).where(
                SiteSetting.key.startswith(PREFIX, autoescape=True)
            )
        )
        return {key.removeprefix(PREFIX): value for key, value in rows}
