"""The addressee's answer, or the outcome, as organisers enter it at /admin/response: the
day, a text per language (English required: every other language falls back to it) and an
optional https link. The public page and the page after confirming show it under the
petition; after the close, the closed notice too. Read through the short cache."""

import json
from dataclasses import dataclass
from datetime import date, datetime

from campaign_site.database import read_transaction, write_transaction
from campaign_site.extensions import db
from campaign_site.languages import CODES, DEFAULT_LANGUAGE
from campaign_site.models import PetitionResponse, utcnow
from campaign_site.petition import short_cache

ROW_ID = 1  # there is one answer; entering another replaces it
TEXT_MAX = 2000
LINK_MAX = 500


@dataclass(frozen=True)
class Answer:
    """The answer as read (plain data, usable after its transaction)."""

    responded_on: date
    texts: dict[str, str]
    link: str
    updated_by: str
    updated_at: datetime

    def text_in(self, language: str) -> tuple[str, str]:
        """(the language it is written in, the text): this language's, else the English."""
        if self.texts.get(language):
            return language, self.texts[language]
        return DEFAULT_LANGUAGE, self.texts.get(DEFAULT_LANGUAGE, "")


def current() -> Answer | None:
    """The answer the public pages show (at most PUBLIC_CACHE_SECONDS old), or None."""
    answer: Answer | None = short_cache.cached("petition-response", fresh)
    return answer


def fresh() -> Answer | None:
    """The answer as stored now (the admin's page)."""
    with read_transaction(db.session):
        row = db.session.get(PetitionResponse, ROW_ID)
        if row is None:
            return None
        texts = json.loads(row.texts)
        return Answer(
            row.responded_on,
            {code: texts[code] for code in CODES if texts.get(code)},
            row.link,
            row.updated_by,
            row.updated_at,
        )


def save(responded_on: date, texts: dict[str, str], link: str, admin_email: str) -> None:
    """Store the answer (replacing the one before). English is required."""
    kept = {code: texts[code].strip() for code in CODES if (texts.get(code) or "").strip()}
    if DEFAULT_LANGUAGE not in kept:
        raise ValueError("the English text is required")
    with write_transaction(db.session):
        row = db.session.get(PetitionResponse, ROW_ID)
        if row is None:
            row = PetitionResponse(id=ROW_ID)
            db.session.add(row)
        row.responded_on, row.link = responded_on, link
        row.texts = json.dumps(kept, ensure_ascii=False, sort_keys=True)
        row.updated_by, row.updated_at = admin_email, utcnow()
    short_cache.forget_all()  # this process's next page shows it at once


def remove() -> bool:
    """Take the answer off the site; False if there was none."""
    with write_transaction(db.session):
        row = db.session.get(PetitionResponse, ROW_ID)
        if row is None:
            return False
        db.session.delete(row)
    short_cache.forget_all()
    return True
