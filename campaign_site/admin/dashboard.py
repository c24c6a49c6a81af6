"""What the dashboard shows, gathered in one place so the view stays a view: the counts,
the health of what keeps signing working (mail, keys, the rate-limit store), and from it the
short list of what needs an organiser's attention."""

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app, g

from campaign_site.backup import status as backup_status
from campaign_site.crypto import key_maintenance
from campaign_site.mail import outbox
from campaign_site.models import OutboxMessage, utcnow
from campaign_site.petition import (
    counting,
    mail_feedback,
    mail_risk,
    reminders,
    signing_state,
)
from campaign_site.web import rate_limits
from campaign_site.web.countries import country_name
from campaign_site.web.i18n import LANGUAGES


@dataclass(frozen=True)
class Counts:
    totals: dict[str, int]
    by_country: list[tuple[str, int]]  # (country name in the page's language, signatures)
    by_language: list[tuple[str, int]]  # (language name, signatures)


@dataclass(frozen=True)
class Health:
    unsent_mail: int
    given_up_mail: tuple[int, list[OutboxMessage]]
    paused: bool
    paused_by_config: bool
    key_problem: str | None
    rate_limit_store_reachable: bool
    last_backup: datetime | None
    backup_overdue: bool
    late_mail: int  # single emails unsent after LATE_MAIL_MINUTES
    content_missing: list[str]


# A confirmation email normally leaves within a minute; a quarter of an hour is a backlog.
LATE_MAIL_MINUTES = 15


def breakdown() -> counting.TallyBreakdown:
    """The tally summed over time, read once per request for every table and chart."""
    if "tally_breakdown" not in g:
        g.tally_breakdown = counting.tally_breakdown()
    return g.tally_breakdown


def counts() -> Counts:
    """The counts, most first; countries named in the admin's language, ties by name."""
    summed = breakdown()
    named = sorted(
        ((country_name(code), n) for code, n in counting.confirmed_by_country(summed).items() if n),
        key=lambda item: (-item[1], item[0]),
    )
    by_language = counting.totals_by_language(summed)
    languages = [(LANGUAGES.get(code, code), n) for code, n in by_language]
    # Discreet mail (docs/security.md, "Discreet mail"): how many, never who.
    totals = {
        **counting.totals(summed),
        "discreet_mail": mail_risk.discreet_signatures(),
        # The mail loop: whether the reminder helps, and the mailboxes that bounce or complain.
        **reminders.reminder_figures(),
        **mail_feedback.mail_status_figures(),
    }
    return Counts(totals, named, languages)


def health() -> Health:
    last_backup = backup_status.last_backup_at()
    return Health(
        unsent_mail=outbox.pending_messages(),
        given_up_mail=outbox.given_up_messages(),
        paused=signing_state.signing_paused(fresh=True),
        paused_by_config=current_app.config["SIGNING_PAUSED"],
        key_problem=key_maintenance.blind_key_problem(),
        rate_limit_store_reachable=rate_limits.store_reachable(),
        last_backup=last_backup,
        backup_overdue=backup_status.backup_overdue(last_backup),
        late_mail=outbox.late_messages(LATE_MAIL_MINUTES),
        content_missing=current_app.extensions["campaign_site.content"].missing_for_launch(),
    )


def signed_today() -> int:
    """Signatures signed since midnight UTC and still held."""
    now = utcnow().astimezone(UTC)
    return counting.signed_since(now.replace(hour=0, minute=0, second=0, microsecond=0))


def needs_attention(health: Health, flags: list | None) -> list[str]:
    """What the dashboard lists first, by name (admin/dashboard.html words each one)."""
    found = {
        "key_problem": health.key_problem is not None,
        "paused": health.paused,
        "redis_down": not health.rate_limit_store_reachable,
        "late_mail": health.late_mail > 0,
        "given_up_mail": health.given_up_mail[0] > 0,
        "backup_overdue": health.backup_overdue,
        "trending": bool(flags),
        "content_missing": bool(health.content_missing),
    }
    return [name for name, shown in found.items() if shown]
