"""The partner sites allowed to frame the embed: the operators' fixed EMBED_ORIGINS and the
origins organisers add and remove in the admin (table partner_origin). Both are checked by
the one rule, config.embed_origin.

Every embed response asks for the list (web/security_headers.py writes it into its
frame-ancestors), so it is read through the short cache: an added or removed site counts on
every worker within PUBLIC_CACHE_SECONDS, without a restart.
"""

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from campaign_site.config import embed_origin, embed_origins
from campaign_site.database import affected_rows, read_transaction, write_transaction
from campaign_site.extensions import db
from campaign_site.models import PartnerOrigin
from campaign_site.petition import short_cache

CACHE_KEY = "partner-origins"


@dataclass(frozen=True)
class AddedSite:
    """An origin an organiser added, for the admin's list."""

    origin: str
    added_by: str
    added_at: datetime


def fixed_origins() -> list[str]:
    """EMBED_ORIGINS: set by the operators in the environment, not removable in the admin."""
    return embed_origins(current_app.config)


def added_sites() -> list[AddedSite]:
    """The origins organisers added, oldest first (read fresh: for the admin's page)."""
    with read_transaction(db.session):
        rows = db.session.scalars(select(PartnerOrigin).order_by(PartnerOrigin.added_at))
        return [AddedSite(row.origin, row.added_by, row.added_at) for row in rows]


def allowed_origins() -> list[str]:
    """Every origin that may frame the embed now: the fixed ones, then the added ones."""
    added: list[str] = short_cache.cached(CACHE_KEY, _stored_origins)
    fixed = fixed_origins()
    return fixed + [origin for origin in added if origin not in fixed]


def add_site(entry: str, added_by: str) -> str:
    """Allow an origin; ValueError says why not (config.embed_origin's words, or that it is
    already allowed). Returns the origin as stored, normalised."""
    origin = embed_origin(entry, production=bool(current_app.config.get("PRODUCTION")))
    if origin in fixed_origins():
        raise ValueError(f"{origin} is already allowed by EMBED_ORIGINS.")
    with write_transaction(db.session):
        dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
        added = db.session.scalar(
            dialect.insert(PartnerOrigin)
            .values(origin=origin, added_by=added_by)
            .on_conflict_do_nothing(index_elements=["origin"])
            .returning(PartnerOrigin.origin)
        )
    if added is None:  # two organisers at once add one row; the database says which
        raise ValueError(f"{origin} is already on the list.")
    short_cache.forget_all()  # this process's next embed shows it at once
    return origin


def remove_site(origin: str) -> bool:
    """Stop allowing an added origin; False when it was not on the list (the fixed ones
    never are)."""
    with write_transaction(db.session):
        removed = db.session.execute(delete(PartnerOrigin).where(PartnerOrigin.origin == origin))
    short_cache.forget_all()
    return affected_rows(removed) > 0


def _stored_origins() -> list[str]:
    with read_transaction(db.session):
        return list(
            db.session.scalars(select(PartnerOrigin.origin).order_by(PartnerOrigin.added_at))
        )
