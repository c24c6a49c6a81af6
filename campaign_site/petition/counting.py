"""The count, the recent signers the page lists (their given names decrypted), and the
dashboard's totals.

The count is a sum over a few shard rows: signers add to a random shard, so concurrent
writers rarely touch the same row, and reading it never scans the signatures.
"""

import random
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from sqlalchemy import func, select, update

from campaign_site.crypto.keyrings import Keyring, data_keyring
from campaign_site.crypto.sealed_box import UnreadableData, open_box
from campaign_site.extensions import db
from campaign_site.models import DailyTally, Signature, SignatureCountShard
from campaign_site.text import public_name

COUNT_SHARDS = 16


RECENT_SIGNERS_SHOWN = 10


@dataclass(frozen=True)
class RecentSigner:
    """What the public page may show of a signer who agreed to be listed."""

    given_name: str
    country_code: str  # shown by name in the page's language


def add_to_count(delta: int) -> None:
    """Move the count by delta on one randomly chosen shard."""
    shard = random.randrange(COUNT_SHARDS)
    db.session.execute(
        update(SignatureCountShard)
        .where(SignatureCountShard.shard == shard)
        .values(count=SignatureCountShard.count + delta)
    )


def signature_count() -> int:
    """Confirmed signatures: a sum over the shards, never a scan of signatures."""
    total = db.session.scalar(select(func.coalesce(func.sum(SignatureCountShard.count), 0)))
    return int(total or 0)


def recent_signers(limit: int = RECENT_SIGNERS_SHOWN) -> list[RecentSigner]:
    """The latest confirmed signers who agreed to be listed: given name and country only.

    Only these few rows are decrypted, each once per process (the cache is keyed by the
    ciphertext, so a re-encrypted or erased row is never served from it).
    """
    rows = db.session.execute(
        select(Signature.identity, Signature.country)
        .where(Signature.is_confirmed, Signature.show_name.is_(True))
        .order_by(Signature.id.desc())
        .limit(limit)
    )
    signers = []
    for box, code in rows:
        try:
            given_name = _given_name_in(box, data_keyring())
        except UnreadableData as error:  # the page stays up; the operator is told
            current_app.logger.error("recent signers: %s", error)
            continue
        shown = public_name(given_name)  # None: nothing name-like, or a signature from
        if shown:  # before given names were asked for
            signers.append(RecentSigner(shown, code))
    return signers


def shown_name(signature: Signature) -> str | None:
    """The name to thank a signer by on their own confirmation page: their given name, and
    only if they chose to show it (else None: the page then thanks them without a name)."""
    if not signature.show_name:
        return None
    try:
        return public_name(open_box(signature.identity, data_keyring()).given_name)
    except UnreadableData as error:
        current_app.logger.error("confirmation page: %s", error)
        return None


@lru_cache(maxsize=64)
def _given_name_in(box: bytes, keyring: Keyring) -> str:
    return open_box(box, keyring).given_name


def totals() -> dict[str, int]:
    """Counts for the admin dashboard, over the signatures still held."""
    counted = func.count(Signature.id)
    row = db.session.execute(
        select(
            counted,
            counted.filter(Signature.is_confirmed),
            counted.filter(Signature.is_pending),
            counted.filter(Signature.is_confirmed, Signature.keep_informed.is_(True)),
        )
    ).one()
    anonymised = db.session.scalar(select(func.coalesce(func.sum(DailyTally.signatures), 0)))
    return {
        "all": row[0],
        "confirmed": row[1],
        "pending": row[2],
        "keep_informed": row[3],
        "anonymised": int(anonymised or 0),
    }


def totals_by_language() -> list[tuple[str, int]]:
    """(language code, confirmed signatures) pairs, most first: where the campaign is heard."""
    rows = db.session.execute(
        select(Signature.language, func.count(Signature.id))
        .where(Signature.is_confirmed)
        .group_by(Signature.language)
    )
    return sorted(
        ((language, int(n)) for language, n in rows), key=lambda item: (-item[1], item[0])
    )


def totals_by_country() -> Counter[str]:
    """Confirmed signatures by country code, anonymised ones included (the admin view names
    the countries in its language)."""
    by_code: Counter[str] = Counter()
    live = db.session.execute(
        select(Signature.country, func.count(Signature.id))
        .where(Signature.is_confirmed)
        .group_by(Signature.country)
    )
    kept = db.session.execute(
        select(DailyTally.country, func.sum(DailyTally.signatures)).group_by(DailyTally.country)
    )
    for code, n in [*live, *kept]:
        by_code[code] += int(n)
    return by_code
