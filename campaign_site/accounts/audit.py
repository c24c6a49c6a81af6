"""The admin audit log: one row per admin action, appended in a short transaction of its own,
never changed or deleted by the application, shown to owners at /admin/audit.

It never holds a supporter's personal data: details name what was done (a filter, a count,
a signature's number, "found" or "not found"), never a supporter's name or address.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from flask import current_app, g, has_app_context
from sqlalchemy import Row, func, select

from campaign_site.database import read_transaction, write_transaction
from campaign_site.extensions import db
from campaign_site.models import AdminAudit

DETAIL_MAX = 500  # AdminAudit.detail
ACTION_MAX = 64  # AdminAudit.action
PER_PAGE = 100


class Action(StrEnum):
    """What the audit records; record() takes any short text, these are the usual ones."""

    LOGIN = "login"
    LOGIN_FAILED = "login failed"
    SIGNING_PAUSED = "signing paused"
    SIGNING_RESUMED = "signing resumed"
    SITE_NOTICE = "site notice changed"
    EXPORT_CSV = "export csv"
    EXPORT_CSV_FINISHED = "export csv finished"
    EXPORT_DELIVERY_NAMES = "export delivery pack with names"
    EXPORT_REQUESTED = "export requested"
    EXPORT_APPROVED = "export approved"
    EXPORT_WAITING = "export waiting for approval"
    SEARCH_BY_EMAIL = "search by email"
    ERASURE = "erasure"
    PAPER_COUNT = "paper count entered"
    EVENT_CREATED = "event created"
    EVENT_DELETED = "event deleted"
    PARTNER_SNIPPET = "partner snippet"
    PARTNER_SITE_ADDED = "partner site added"
    PARTNER_SITE_REMOVED = "partner site removed"
    ACCOUNT_CHANGED = "account changed"
    SESSIONS_ENDED = "sessions ended"
    UPDATE_WRITTEN = "update written"
    UPDATE_TEST = "update test sent"
    UPDATE_SENT = "update sent"
    UPDATE_CANCELLED = "update cancelled"
    INVALIDATION_STARTED = "invalidation started"
    INVALIDATION = "signatures invalidated"
    REVALIDATION = "signatures revalidated"
    REVIEW_ACCEPTED = "review accepted"
    CONTENT_SAVED = "content draft saved"
    CONTENT_PUBLISHED = "content published"
    CONTENT_RESTORED = "content restored"
    TEST_EMAIL = "test email sent"
    TEST_LINK = "test signature link opened"
    TEST_MARKED = "signature marked as a test"
    TEST_ERASED = "test signatures erased"
    ORGANISATION_APPROVED = "organisation approved"
    ORGANISATION_REJECTED = "organisation rejected"
    RESPONSE_SAVED = "answer saved"
    RESPONSE_REMOVED = "answer removed"


# The runs of exports of personal data (the dashboard lists them; owners are emailed).
EXPORTS = (Action.EXPORT_CSV, Action.EXPORT_DELIVERY_NAMES)
# What the dashboard's "Recent exports of personal data" shows: runs, requests, approvals.
EXPORT_EVENTS = (
    *EXPORTS,
    Action.EXPORT_CSV_FINISHED,
    Action.EXPORT_REQUESTED,
    Action.EXPORT_APPROVED,
)


ACTOR_KEY = "audit_actor"  # in flask.g: who acts in this request (set by act_as)


def act_as(admin_email: str) -> None:
    """Name who acts for the rest of this request or app context: the admin blueprint calls it
    once it knows who is logged in, so record() need not know about sessions."""
    setattr(g, ACTOR_KEY, admin_email)


def record(action: str, detail: str = "", admin_email: str | None = None) -> None:
    """Append one entry. admin_email defaults to whoever act_as() named (empty outside a
    request, e.g. the command line, unless given). Never pass a supporter's data in detail."""
    if admin_email is None:
        admin_email = g.get(ACTOR_KEY, "") if has_app_context() else ""
    with write_transaction(db.session):
        db.session.add(
            AdminAudit(
                action=str(action)[:ACTION_MAX],
                detail=detail[:DETAIL_MAX],
                admin_email=admin_email,
            )
        )
    current_app.logger.info("audit: %s by %s", action, admin_email or "(no admin)")


@dataclass(frozen=True)
class AuditFilter:
    """Which entries an owner asked to see; every part optional."""

    action: str | None = None
    admin_email: str | None = None
    since: date | None = None  # from the start of this day (UTC)
    until: date | None = None  # to the end of this day (UTC)


# Plain rows, not ORM objects: they stay readable after the read-only block ends.
ENTRY_COLUMNS = (
    AdminAudit.id,
    AdminAudit.at,
    AdminAudit.admin_email,
    AdminAudit.action,
    AdminAudit.detail,
)


@dataclass(frozen=True)
class AuditPage:
    entries: list[Row]
    page: int
    pages: int
    total: int


def entries(wanted: AuditFilter, page: int = 1, per_page: int = PER_PAGE) -> AuditPage:
    """One page of entries matching the filter, newest first."""
    conditions = []
    if wanted.action:
        conditions.append(AdminAudit.action == wanted.action)
    if wanted.admin_email:
        conditions.append(AdminAudit.admin_email == wanted.admin_email)
    if wanted.since:
        conditions.append(AdminAudit.at >= datetime.combine(wanted.since, time(), UTC))
    if wanted.until:
        end = datetime.combine(wanted.until + timedelta(days=1), time(), UTC)
        conditions.append(AdminAudit.at < end)
    with read_transaction(db.session):
        total = db.session.scalar(select(func.count()).select_from(AdminAudit).where(*conditions))
        rows = db.session.execute(
            select(*ENTRY_COLUMNS)
            .where(*conditions)
            .order_by(AdminAudit.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).all()
    total = total or 0
    return AuditPage(list(rows), page, max(1, -(-total // per_page)), total)


def actions_seen() -> list[str]:
    """Every action the filter may ask for: the usual ones and any found in the log."""
    with read_transaction(db.session):
        stored = set(db.session.scalars(select(AdminAudit.action).distinct()))
    return sorted(stored | {str(action) for action in Action})


def last_logins() -> dict[str, datetime]:
    """Each admin's latest successful login, by email."""
    with read_transaction(db.session):
        rows = db.session.execute(
            select(AdminAudit.admin_email, func.max(AdminAudit.at))
            .where(AdminAudit.action == Action.LOGIN.value)
            .group_by(AdminAudit.admin_email)
        ).all()
    return {email: at for email, at in rows}


def recent_exports(limit: int = 20) -> list[Row]:
    """The latest exports of personal data, their requests and approvals, newest first."""
    with read_transaction(db.session):
        rows = db.session.execute(
            select(*ENTRY_COLUMNS)
            .where(AdminAudit.action.in_([action.value for action in EXPORT_EVENTS]))
            .order_by(AdminAudit.id.desc())
            .limit(limit)
        ).all()
    return list(rows)
