"""Organisations that co-sign: applying (with a logo), the contact's confirmation by email,
the organisers' review, withdrawing, and what the public may see.

An organisation is shown publicly (the campaign page, the delivery pack, its logo's URL)
only once its contact has opened the emailed link AND an organiser has approved it, in
either order. Withdrawing by the link mailed at confirmation deletes the row, logo and
sealed contact address with it. Nothing here reads or tells anything about signers.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, delete, select, update

from campaign_site.crypto.sealed_box import Person, open_box, seal
from campaign_site.database import affected_rows, read_transaction, write_transaction
from campaign_site.extensions import db
from campaign_site.models import Organisation, OrganisationStatus, OutboxMessage, utcnow
from campaign_site.petition import link_tokens, mail_queue
from campaign_site.petition.logos import Logo
from campaign_site.petition.mail_queue import MailKind


@dataclass(frozen=True)
class NewOrganisation:
    """A validated application, in the shape these rules take."""

    name: str
    website: str
    country: str
    contact_email: str
    language: str
    logo: Logo


@dataclass(frozen=True)
class ShownOrganisation:
    """What the public sees of a supporting organisation."""

    name: str
    website: str
    country: str
    logo_digest: str
    logo_extension: str  # png or jpg: the logo URL's
    logo_width: int
    logo_height: int


EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg"}


def _shown() -> ColumnElement[bool]:
    """The condition for being public: confirmed by the contact and approved."""
    return and_(
        Organisation.confirmed_at.is_not(None),
        Organisation.status == OrganisationStatus.APPROVED.value,
    )


def apply(new: NewOrganisation) -> None:
    """Store an application, pending, and queue the contact's confirmation link."""
    with write_transaction(db.session):
        organisation = Organisation(
            name=new.name,
            website=new.website,
            country=new.country,
            contact=seal(Person("", "", new.contact_email)),
            language=new.language,
            logo=new.logo.data,
            logo_type=new.logo.content_type,
            logo_width=new.logo.width,
            logo_height=new.logo.height,
            logo_digest=new.logo.digest,
        )
        db.session.add(organisation)
        db.session.flush()
        mail_queue.enqueue_for_organisation(organisation.id, MailKind.ORGANISATION_CONFIRM)


class ConfirmOutcome(StrEnum):
    JUST_CONFIRMED = "just-confirmed"
    ALREADY_CONFIRMED = "already-confirmed"


def confirm(token: str) -> ConfirmOutcome:
    """Confirm the application a link names (opening it again is harmless) and, the first
    time, mail the contact the link to withdraw. Raises link_tokens.TokenExpired or
    TokenInvalid."""
    with write_transaction(db.session):
        organisation = link_tokens.organisation_for(token, link_tokens.ORGANISATION_CONFIRM)
        confirming = (
            update(Organisation)
            .where(Organisation.id == organisation.id, Organisation.confirmed_at.is_(None))
            .values(confirmed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if not affected_rows(db.session.execute(confirming)):
            return ConfirmOutcome.ALREADY_CONFIRMED
        mail_queue.enqueue_for_organisation(organisation.id, MailKind.ORGANISATION_CONFIRMED)
    return ConfirmOutcome.JUST_CONFIRMED


def check_withdraw_link(token: str) -> str:
    """The name of the organisation a withdraw link names (for the page with the button),
    or link_tokens.TokenInvalid."""
    with read_transaction(db.session):
        return link_tokens.organisation_for(token, link_tokens.ORGANISATION_WITHDRAW).name


def withdraw(token: str) -> str:
    """Delete the organisation a withdraw link names, with its logo, contact and queued
    mail; its name, for the page that says so. Raises link_tokens.TokenInvalid."""
    with write_transaction(db.session):
        organisation = link_tokens.organisation_for(token, link_tokens.ORGANISATION_WITHDRAW)
        name = organisation.name
        db.session.execute(
            delete(OutboxMessage).where(OutboxMessage.organisation_id == organisation.id)
        )
        db.session.delete(organisation)
    return name


def review(organisation_id: int, approve: bool, admin_email: str) -> Organisation | None:
    """An organiser's decision (approving a rejected one, or the reverse, is allowed); the
    organisation as it now stands, or None if it is gone (withdrawn meanwhile)."""
    status = OrganisationStatus.APPROVED if approve else OrganisationStatus.REJECTED
    with write_transaction(db.session):
        organisation = db.session.get(Organisation, organisation_id, with_for_update=True)
        if organisation is None:
            return None
        organisation.status = status.value
        organisation.reviewed_by = admin_email
        organisation.reviewed_at = utcnow()
    return organisation


@dataclass(frozen=True)
class Application:
    """One organisation as organisers review it (no contact address: see contact_of)."""

    id: int
    name: str
    website: str
    country: str
    status: str
    applied_at: datetime
    confirmed_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    logo_width: int
    logo_height: int

    @property
    def shown(self) -> bool:
        return self.confirmed_at is not None and self.status == OrganisationStatus.APPROVED


def applications() -> list[Application]:
    """Every organisation, newest first (a campaign has tens, not thousands)."""
    columns = (
        Organisation.id,
        Organisation.name,
        Organisation.website,
        Organisation.country,
        Organisation.status,
        Organisation.applied_at,
        Organisation.confirmed_at,
        Organisation.reviewed_by,
        Organisation.reviewed_at,
        Organisation.logo_width,
        Organisation.logo_height,
    )
    with read_transaction(db.session):
        rows = db.session.execute(select(*columns).order_by(Organisation.id.desc())).all()
    return [Application(*row) for row in rows]


def supporting() -> list[ShownOrganisation]:
    """The organisations the public sees, by name (the logos' bytes stay in the database)."""
    columns = (
        Organisation.name,
        Organisation.website,
        Organisation.country,
        Organisation.logo_digest,
        Organisation.logo_type,
        Organisation.logo_width,
        Organisation.logo_height,
    )
    rows = db.session.execute(select(*columns).where(_shown())).all()
    shown = [
        ShownOrganisation(name, site, country, digest, EXTENSIONS[kind], width, height)
        for name, site, country, digest, kind, width, height in rows
    ]
    return sorted(shown, key=lambda organisation: organisation.name.casefold())


def shown_logo(digest: str) -> tuple[bytes, str] | None:
    """A public organisation's logo (bytes, content type) by its digest; None for any other."""
    with read_transaction(db.session):
        row = db.session.execute(
            select(Organisation.logo, Organisation.logo_type)
            .where(Organisation.logo_digest == digest, _shown())
            .limit(1)
        ).first()
    return (bytes(row[0]), row[1]) if row else None


def any_logo(organisation_id: int) -> tuple[bytes, str] | None:
    """Any organisation's logo, for organisers reviewing it before it is public."""
    with read_transaction(db.session):
        row = db.session.execute(
            select(Organisation.logo, Organisation.logo_type).where(
                Organisation.id == organisation_id
            )
        ).first()
    return (bytes(row[0]), row[1]) if row else None


def contact_of(organisation: Organisation) -> str:
    """The contact's address, opened only to write to it (mail/organisation_mail.py)."""
    return open_box(organisation.contact).email
