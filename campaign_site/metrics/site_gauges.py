"""Gauges read from the database when Prometheus asks, by the one worker that answers the
scrape (not kept up to date by every process): a few cheap queries on the tally, the
outbox's queue index, site settings and the last hour's signatures.

If the database does not answer, campaign_site_database_up is 0 and the database's gauges
are left out (an alert on them then sees no data rather than a false zero)."""

import math
from collections.abc import Iterator
from datetime import datetime
from time import monotonic

from flask import current_app
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import and_, case, func, select
from sqlalchemy.exc import SQLAlchemyError

from campaign_site.backup import status as backup_status
from campaign_site.database import read_transaction
from campaign_site.extensions import db
from campaign_site.models import CampaignUpdate, OutboxMessage, UpdateStatus, utcnow
from campaign_site.petition import counting, trending
from campaign_site.web import rate_limits

SIGNATURE_STATUSES = ("confirmed", "pending", "anonymised", "keep_informed")
QUEUED = and_(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))
# Unsent messages by what became of them, read through the queue's index (sent_at NULL: the
# few not sent), never the sent millions. Another state (a bounce, say) is one more line.
UNSENT_STATES = {
    "failing": and_(OutboxMessage.failed_at.is_(None), OutboxMessage.attempts > 0),
    "given_up": OutboxMessage.failed_at.is_not(None),
}
# Counting the sent ones reads an index entry per message sent (about 0.1 s at 1,000,000 on
# PostgreSQL), so each process does it at most this often; the figure may lag by as much.
SENT_COUNT_SECONDS = 60.0
SENT_COUNT_KEY = "campaign_site.metrics_sent_count"  # in app.extensions: (monotonic time, count)
MAIL_KINDS = ("transactional", "update")
TRENDING_KINDS = ("network", "domain", "source")


class SiteGauges:
    """A prometheus_client collector; collect() runs inside the scrape's request."""

    def collect(self) -> Iterator[Metric]:
        try:
            with read_transaction(db.session):
                families = list(_database_gauges())
        except SQLAlchemyError:
            current_app.logger.exception("metrics: the database did not answer")
            families = []
        yield _gauge("database_up", "1 while the database answers.", float(bool(families)))
        yield from families
        yield _gauge(
            "rate_limit_store_up",
            "1 while the rate-limit store (Redis) answers; memory:// always does.",
            float(rate_limits.store_reachable()),
        )


def _database_gauges() -> Iterator[Metric]:
    yield _signatures()
    yield from _mail_queue()
    yield from _mail_states()
    yield from _update_progress()
    yield from _backup()
    yield _trending()


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"campaign_site_{name}", documentation, value=value)


def _labelled(name: str, documentation: str, label: str) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"campaign_site_{name}", documentation, labels=[label])


def _signatures() -> Metric:
    family = _labelled(
        "signatures",
        "Signatures still held, by status, from the tally; anonymised ones apart, "
        "keep_informed: confirmed ones that want campaign updates.",
        "status",
    )
    totals = counting.quick_totals()
    for status in SIGNATURE_STATUSES:
        family.add_metric([status], totals[status])
    return family


def _mail_queue() -> Iterator[Metric]:
    """Queued messages and the oldest one's age, transactional mail (confirmation links ...)
    apart from campaign updates, which are paced on purpose."""
    kind = case((OutboxMessage.update_id.is_(None), "transactional"), else_="update")
    rows = {
        name: (count, oldest)
        for name, count, oldest in db.session.execute(
            select(kind, func.count(), func.min(OutboxMessage.created_at))
            .where(QUEUED)
            .group_by(kind)
        )
    }
    queued = _labelled("mail_queued", "Messages waiting to be sent.", "kind")
    oldest = _labelled(
        "mail_oldest_queued_age_seconds",
        "Age of the oldest message waiting to be sent (0 when none waits).",
        "kind",
    )
    now = utcnow()
    for name in MAIL_KINDS:
        count, created = rows.get(name, (0, None))
        queued.add_metric([name], count)
        oldest.add_metric([name], _age(created, now) if created else 0.0)
    yield queued
    yield oldest


def _mail_states() -> Iterator[Metric]:
    counts = db.session.execute(
        select(*(func.count(case((condition, 1))) for condition in UNSENT_STATES.values())).where(
            OutboxMessage.sent_at.is_(None)
        )
    ).one()
    family = _labelled(
        "mail_messages",
        "Messages in the outbox by state: sent (counted at most once a minute), failing "
        "(queued again after a failed attempt), given_up.",
        "state",
    )
    family.add_metric(["sent"], _sent())
    for state, count in zip(UNSENT_STATES, counts, strict=True):
        family.add_metric([state], int(count))
    yield family


def _sent() -> int:
    now = monotonic()
    counted_at, count = current_app.extensions.get(SENT_COUNT_KEY, (-math.inf, 0))
    if now - counted_at >= SENT_COUNT_SECONDS:
        count = (
            db.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.sent_at.is_not(None))
            )
            or 0
        )
        current_app.extensions[SENT_COUNT_KEY] = (now, count)
    return count


def _update_progress() -> Iterator[Metric]:
    sending = CampaignUpdate.status == UpdateStatus.SENDING.value
    updates, recipients = db.session.execute(
        select(func.count(), func.coalesce(func.sum(CampaignUpdate.recipients), 0)).where(sending)
    ).one()
    left = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(QUEUED, OutboxMessage.update_id.in_(select(CampaignUpdate.id).where(sending)))
    )
    yield _gauge("updates_sending", "Campaign updates being sent now.", updates)
    yield _gauge(
        "update_recipients", "Messages queued for the updates being sent, in all.", recipients
    )
    yield _gauge("update_messages_left", "Of those, messages still waiting to be sent.", left or 0)


def _backup() -> Iterator[Metric]:
    last = backup_status.last_backup_at()
    yield _gauge(
        "backup_age_seconds",
        "Seconds since the last `backup create` (+Inf before the first).",
        _age(last, utcnow()) if last else math.inf,
    )
    yield _gauge(
        "backup_max_age_seconds",
        "BACKUP_MAX_AGE_HOURS in seconds: a backup older than this is overdue.",
        current_app.config["BACKUP_MAX_AGE_HOURS"] * 3600,
    )


def _trending() -> Metric:
    """How many networks, email domains and sources are flagged as trending in the last hour
    (the dashboard's flags; petition/trending.py). Counts only: never which ones."""
    family = _labelled(
        "trending_flagged",
        "Networks, email domains and sources flagged as signing unusually much in the last hour.",
        "kind",
    )
    found = trending.trending("hour", over_only=True)
    for kind in TRENDING_KINDS:
        family.add_metric([kind], sum(1 for busy in found[kind] if busy.flagged))
    return family


def _age(moment: datetime, now: datetime) -> float:
    return max(0.0, (now - moment).total_seconds())
