"""The tables: signatures, their sharded count, and admin accounts."""

from datetime import datetime, timezone

from sqlalchemy import BigInteger, DateTime, Index, String, TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back aware datetimes (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# Bounds shared by the forms and the columns, so a valid form always fits the row.
NAME_MAX = 200
EMAIL_MAX = 254
POSTCODE_CITY_MAX = 100


class Signature(db.Model):
    """One supporter's signature on the petition."""

    __tablename__ = "signature"
    __table_args__ = (Index("ix_signature_show_name_id", "show_name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    # The address as the supporter typed it, tidied by email-validator; used for mail.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    # One signature per mailbox: the case-folded address, unique in the database.
    email_key: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    postcode_city: Mapped[str | None] = mapped_column(String(POSTCODE_CITY_MAX))
    keep_informed: Mapped[bool] = mapped_column(default=False)
    show_name: Mapped[bool] = mapped_column(default=False)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Signature {self.id}>"


class SignatureCountShard(db.Model):
    """The signature count, split over a few rows so concurrent signers don't queue on one."""

    __tablename__ = "signature_count_shard"

    shard: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class AdminUser(db.Model):
    """Someone allowed to read and export signatures."""

    __tablename__ = "admin_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<AdminUser {self.id}>"
