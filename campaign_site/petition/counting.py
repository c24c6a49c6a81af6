"""The count, the recent signers the page lists (their given names decrypted), and the
dashboard's totals.

The count is a sum over a few shard rows: signers add to a random shard, so concurrent
writers rarely touch the same row, and reading it never scans the signatures.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from flask import current_app
from sqlalchemy import func, select, update

from campaign_site.crypto.keyrings import Keyring, data_keyring
from campaign_site.crypto.sealed_box import UnreadableData, open_box
from campaign_site.extensions import db
from campaign_site.models import DailyTally, Signature, SignatureCountShard, SignatureTally
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


@dataclass(frozen=True)
class TallyBreakdown:
    """The tally summed over time: one row per source, country and language (a few thousand
    at most), from which the dashboard's totals and tables are all taken: one scan of the
    tally instead of one per table."""

    rows: list[
        tuple[str, str, str, int, int, int]
    ]  # source, country, language, signed, confirmed, informed

    def by(self, column: int) -> dict[str, tuple[int, int]]:
        """{source (0), country (1) or language (2): (signed, confirmed)}."""
        sums: dict[str, tuple[int, int]] = {}
        for row in self.rows:
            key = str(row[column])
            signed, confirmed = sums.get(key, (0, 0))
            sums[key] = (signed + row[3], confirmed + row[4])
        return sums


def tally_breakdown() -> TallyBreakdown:
    sums = (func.sum(SignatureTally.signed), func.sum(SignatureTally.confirmed))
    rows = db.session.execute(
        select(
            SignatureTally.source,
            SignatureTally.country,
            SignatureTally.language,
            *sums,
            func.sum(SignatureTally.informed),
        ).group_by(SignatureTally.source, SignatureTally.country, SignatureTally.language)
    )
    return TallyBreakdown(
        [(s, c, lang, int(n or 0), int(k or 0), int(i or 0)) for s, c, lang, n, k, i in rows]
    )


def totals(breakdown: TallyBreakdown | None = None) -> dict[str, int]:
    """Counts for the admin dashboard, over the signatures still held, from the tally (no
    scan of the signatures). Anonymised signatures stay in the tally as counts (and in
    daily_tally): they are taken off "all" and "confirmed" and shown apart."""
    rows = (breakdown or tally_breakdown()).rows
    signed, confirmed = sum(row[3] for row in rows), sum(row[4] for row in rows)
    return _held(signed, confirmed, sum(row[5] for row in rows))


def quick_totals() -> dict[str, int]:
    """totals() from three sums over the tally, without the breakdown the dashboard's tables
    need: for the metrics scrape, every few seconds."""
    sums = db.session.execute(
        select(
            func.coalesce(func.sum(SignatureTally.signed), 0),
            func.coalesce(func.sum(SignatureTally.confirmed), 0),
            func.coalesce(func.sum(SignatureTally.informed), 0),
        )
    ).one()
    return _held(int(sums[0]), int(sums[1]), int(sums[2]))


def _held(signed: int, confirmed: int, informed: int) -> dict[str, int]:
    anonymised = int(
        db.session.scalar(select(func.coalesce(func.sum(DailyTally.signatures), 0))) or 0
    )
    held, held_confirmed = signed - anonymised, confirmed - anonymised
    return {
        "all": held,
        "confirmed": held_confirmed,
        "pending": held - held_confirmed,
        "keep_informed": informed,
        "anonymised": anonymised,
    }


def signed_since(start: datetime) -> int:
    """Signatures signed from `start` on and still held (from the tally, per hour)."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(SignatureTally.signed), 0)).where(
                SignatureTally.hour >= start
            )
        )
        or 0
    )


def totals_by_language(breakdown: TallyBreakdown | None = None) -> list[tuple[str, int]]:
    """(language code, confirmed signatures) pairs, most first: where the campaign is heard
    (from the tally; anonymised ones included)."""
    by_language = (breakdown or tally_breakdown()).by(2)
    return sorted(
        ((language, confirmed) for language, (_, confirmed) in by_language.items() if confirmed),
        key=lambda item: (-item[1], item[0]),
    )


def confirmed_by_country(breakdown: TallyBreakdown | None = None) -> dict[str, int]:
    """Confirmed signatures per country code from the tally (anonymised ones included: the
    tally keeps them as counts), without reading a signature."""
    if breakdown is not None:
        return {code: confirmed for code, (_, confirmed) in breakdown.by(1).items()}
    rows = db.session.execute(
        select(SignatureTally.country, func.sum(SignatureTally.confirmed)).group_by(
            SignatureTally.country
        )
    )
    return {code: int(n or 0) for code, n in rows}


@dataclass(frozen=True)
class CountryCounts:
    """Confirmed signatures by country as the public may see them."""

    shown: list[tuple[str, int]]  # (country code, count), most first
    other: int  # countries below the threshold, folded together


def public_country_counts(minimum: int) -> CountryCounts:
    """Confirmed signatures per country from the tally (anonymised ones included), with
    every country below `minimum` folded into "other countries": one signer in a
    dangerous country must not show as a country of their own."""
    shown, other = [], 0
    for code, n in confirmed_by_country().items():
        if n >= minimum:
            shown.append((code, n))
        else:
            other += n
    return CountryCounts(sorted(shown, key=lambda item: (-item[1], item[0])), other)


def shown_signers() -> Iterator[RecentSigner]:
    """Every confirmed signer who agreed to be shown: given name and country, oldest first,
    for the delivery pack when an admin asks to include them (each row decrypted once)."""
    keyring = data_keyring()
    rows = db.session.execute(
        select(Signature.identity, Signature.country)
        .where(Signature.is_confirmed, Signature.show_name.is_(True))
        .order_by(Signature.id)
        .execution_options(yield_per=2000)
    )
    for box, code in rows:
        try:
            shown = public_name(open_box(box, keyring).given_name)
        except UnreadableData as error:
            current_app.logger.error("delivery pack: %s", error)
            continue
        if shown:
            yield RecentSigner(shown, code)


def signing_period() -> tuple[datetime, datetime] | None:
    """The first and last hour with a confirmed signature (tally), or None before any."""
    first, last = db.session.execute(
        select(func.min(SignatureTally.hour), func.max(SignatureTally.hour)).where(
            SignatureTally.confirmed > 0
        )
    ).one()
    return (first, last) if first else None
