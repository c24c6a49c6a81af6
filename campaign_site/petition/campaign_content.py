"""The campaign's words as organisers publish them from /admin/content.

Each save is a draft (a ContentVersion without published_at); publishing stamps it, and every
published version is kept, so an earlier one can be published again ("restore"). The page
shows the newest published version, read through the short cache: every worker and machine
shows a new one within PUBLIC_CACHE_SECONDS, with no restart. While nothing is published the
content file (CONTENT_FILE) is shown, and it is what the first draft starts from.

Until the required content is published the page says "launching soon" and takes no
signature (launch_ready), so production can start and be set up from the browser.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from campaign_site import content
from campaign_site.content import Content
from campaign_site.database import read_transaction, write_transaction
from campaign_site.extensions import db
from campaign_site.models import ContentVersion, utcnow
from campaign_site.petition import short_cache

PREVIEW_SECONDS = 3600  # a preview link works for an hour
NOTE_MAX = 120  # ContentVersion.note


@dataclass(frozen=True)
class Version:
    """A saved version as read (plain data, usable after its transaction)."""

    id: int
    document: dict[str, Any]
    note: str
    saved_by: str
    saved_at: datetime
    published_by: str | None
    published_at: datetime | None

    @property
    def content(self) -> Content:
        return content.from_document(self.document)


def _version(row: ContentVersion | None) -> Version | None:
    if row is None:
        return None
    return Version(
        row.id,
        json.loads(row.document),
        row.note,
        row.saved_by,
        row.saved_at,
        row.published_by,
        row.published_at,
    )


def current_content() -> Content:
    """What the public page shows now: the newest published version, else the file."""
    published: Content | None = short_cache.cached("campaign-content", _published_content)
    return published or file_content()


def file_content() -> Content:
    """The content file as loaded when the app started."""
    loaded: Content = current_app.extensions["campaign_site.content"]
    return loaded


def launch_ready() -> bool:
    """Whether the page may take signatures: every required entry is published (or this is
    a developer's copy, which shows the form whatever the content: WAIT_FOR_CONTENT)."""
    if not current_app.config["WAIT_FOR_CONTENT"]:
        return True
    return not current_content().missing_for_launch()


def latest_published() -> Version | None:
    """The version the page shows (None while the file is shown)."""
    with read_transaction(db.session):
        return _version(_newest_published())


def _newest_published() -> ContentVersion | None:
    return db.session.scalars(
        select(ContentVersion)
        .where(ContentVersion.published_at.is_not(None))
        .order_by(ContentVersion.published_at.desc(), ContentVersion.id.desc())
        .limit(1)
    ).first()


def draft() -> Version | None:
    """The newest saved draft, if it is newer than what is published."""
    with read_transaction(db.session):
        return _version(_draft_row())


def _draft_row() -> ContentVersion | None:
    newest = db.session.scalars(
        select(ContentVersion).order_by(ContentVersion.id.desc()).limit(1)
    ).first()
    return newest if newest is not None and newest.published_at is None else None


def published_versions() -> list[Version]:
    """Every published version, newest first (the list to restore from)."""
    with read_transaction(db.session):
        rows = db.session.scalars(
            select(ContentVersion)
            .where(ContentVersion.published_at.is_not(None))
            .order_by(ContentVersion.published_at.desc(), ContentVersion.id.desc())
        )
        return [version for row in rows if (version := _version(row)) is not None]


def document_being_edited() -> dict[str, Any]:
    """The draft's document, else the published one's, else the content file's tables."""
    version = draft() or latest_published()
    if version is not None:
        return version.document
    return {"tables": content.read_tables(current_app.config["CONTENT_FILE"]), "translations": {}}


def save_draft(document: dict[str, Any], admin_email: str, note: str) -> int:
    """Keep the edited document as the draft (replacing an unpublished one); its id. The
    document must read as Content: a ContentError says what is wrong, nothing is stored."""
    content.from_document(document)
    with write_transaction(db.session):
        row = _draft_row()
        if row is None:
            row = ContentVersion(saved_by=admin_email)
            db.session.add(row)
        row.document = json.dumps(document, ensure_ascii=False, sort_keys=True)
        row.note, row.saved_by, row.saved_at = note[:NOTE_MAX], admin_email, utcnow()
        db.session.flush()
        return row.id


def publish(admin_email: str) -> int | None:
    """Publish the draft (its id); with no draft and nothing published yet, the content
    file's content becomes the first version. None when there is nothing new to publish."""
    if draft() is None:
        if latest_published() is not None:
            return None
        save_draft(document_being_edited(), admin_email, "The content file")
    with write_transaction(db.session):
        row = _draft_row()
        if row is None:  # published by someone else meanwhile
            return None
        row.published_by, row.published_at = admin_email, utcnow()
        version_id = row.id
    short_cache.forget_all()  # this process's next page shows it at once
    return version_id


def restore(version_id: int, admin_email: str) -> int | None:
    """Publish an earlier version's content again, as a new version (the history stays
    whole; a draft in progress is replaced). None if there is no such published version."""
    with read_transaction(db.session):
        earlier = _version(db.session.get(ContentVersion, version_id))
    if earlier is None or earlier.published_at is None:
        return None
    save_draft(earlier.document, admin_email, f"Restored version {earlier.id}")
    return publish(admin_email)


def preview_link_token(version_id: int) -> str:
    """A token for a preview of this version, for an hour, signed with the SECRET_KEY: the
    preview is a public page (the admin and the public side share no code)."""
    return _serializer().dumps(version_id)


def version_for_preview(token: str) -> Content | None:
    """The content a preview token names, or None for a bad or expired one."""
    try:
        version_id = _serializer().loads(token, max_age=PREVIEW_SECONDS)
    except BadSignature:
        return None
    if version_id == 0:  # nothing saved yet: the content file
        return file_content()
    with read_transaction(db.session):
        version = _version(db.session.get(ContentVersion, int(version_id)))
    return version.content if version is not None else None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="content-preview")


def _published_content() -> Content | None:
    version = latest_published()
    return version.content if version is not None else None
