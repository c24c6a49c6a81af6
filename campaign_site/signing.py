"""The petition's rules: what makes a mailbox unique, storing a signature, counting them."""

import random
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .countries import country_name
from .database import write_options
from .extensions import db
from .models import Signature, SignatureCountShard

# Signers add to a random shard, so concurrent writers rarely touch the same row.
COUNT_SHARDS = 16
RECENT_SIGNERS_SHOWN = 10


@dataclass(frozen=True)
class NewSignature:
    """What a supporter submits, already validated and normalized by the form."""

    name: str
    email: str
    country: str
    postcode_city: str | None
    keep_informed: bool
    show_name: bool


@dataclass(frozen=True)
class RecentSigner:
    """What the public page may show of a signer who agreed to be listed."""

    first_name: str
    country: str


def mailbox_key(email: str) -> str:
    """The uniqueness key of an address: the same mailbox in any letter case is one key."""
    return email.casefold()


def record_signature(new: NewSignature) -> bool:
    """Store a signature unless its mailbox has signed; True if it was stored.

    The unique constraint decides, inside one INSERT, so two simultaneous
    submissions of one address can never both be stored.
    """
    db.session.connection(execution_options=write_options())
    statement = (
        _insert_for_dialect()
        .values(
            name=new.name,
            email=new.email,
            email_key=mailbox_key(new.email),
            country=new.country,
            postcode_city=new.postcode_city,
            keep_informed=new.keep_informed,
            show_name=new.show_name,
        )
        .on_conflict_do_nothing(index_elements=[Signature.email_key])
        .returning(Signature.id)
    )
    stored = db.session.execute(statement).scalar_one_or_none() is not None
    if stored:
        _add_to_count(1)
    db.session.commit()
    return stored


def _insert_for_dialect():
    """An INSERT that knows ON CONFLICT, for the database in use."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(Signature)


def _add_to_count(delta: int) -> None:
    """Move the count by delta on one randomly chosen shard."""
    shard = random.randrange(COUNT_SHARDS)
    db.session.execute(
        update(SignatureCountShard)
        .where(SignatureCountShard.shard == shard)
        .values(count=SignatureCountShard.count + delta)
    )


def signature_count() -> int:
    """How many people have signed: a sum over the shards, never a scan of signatures."""
    total = db.session.scalar(select(func.coalesce(func.sum(SignatureCountShard.count), 0)))
    return int(total)


def recent_signers(limit: int = RECENT_SIGNERS_SHOWN) -> list[RecentSigner]:
    """The latest signers who agreed to be listed: first name and country only."""
    rows = db.session.execute(
        select(Signature.name, Signature.country)
        .where(Signature.show_name.is_(True))
        .order_by(Signature.id.desc())
        .limit(limit)
    )
    return [RecentSigner(first_name(name), country_name(code)) for name, code in rows]


def first_name(full_name: str) -> str:
    """The first word of a name; a name without spaces is shown whole."""
    parts = full_name.split()
    return parts[0] if parts else ""


def totals() -> dict[str, int]:
    """Counts for the admin dashboard: everyone, and those who want updates."""
    all_signatures, keep_informed = db.session.execute(
        select(
            func.count(Signature.id),
            func.count(Signature.id).filter(Signature.keep_informed.is_(True)),
        )
    ).one()
    return {"all": all_signatures, "keep_informed": keep_informed}


def totals_by_country() -> list[tuple[str, int]]:
    """(country name, signatures) pairs, most signatures first."""
    rows = db.session.execute(
        select(Signature.country, func.count(Signature.id).label("n"))
        .group_by(Signature.country)
        .order_by(func.count(Signature.id).desc(), Signature.country)
    )
    return [(country_name(code), n) for code, n in rows]
