"""When the petition closes (PETITION_CLOSES_AT): from then on signing is refused, every
public page says "closed on DATE with N signatures", and confirmation links mailed before
the close keep working CLOSING_GRACE_DAYS longer, so no one who signed in its last hours
is left out of the count.

The caches are told how long what they keep stays true (seconds_until_close): a page kept
while the petition was open must not be served as open after the close.
"""

from datetime import datetime, timedelta

from flask import current_app

from campaign_site.models import utcnow


def closes_at() -> datetime | None:
    """The moment signing ends (UTC), or None while no closing time is set."""
    moment: datetime | None = current_app.config["PETITION_CLOSES_AT"]
    return moment


def is_closed(now: datetime | None = None) -> bool:
    """True from the closing time on."""
    moment = closes_at()
    return moment is not None and (now or utcnow()) >= moment


def confirming_ends_at() -> datetime | None:
    """Until when a confirmation link may still count a signature: CLOSING_GRACE_DAYS after
    the close (the links were all mailed before it, as signing ends then); None: no end."""
    moment = closes_at()
    if moment is None:
        return None
    return moment + timedelta(days=current_app.config["CLOSING_GRACE_DAYS"])


def confirming_open(now: datetime | None = None) -> bool:
    """Whether a confirmation link may still count a signature."""
    ends = confirming_ends_at()
    return ends is None or (now or utcnow()) < ends


def seconds_until_close(now: datetime | None = None) -> float | None:
    """How long a page rendered now stays true as to open or closed: None when that cannot
    change (no closing time, or already closed)."""
    moment = closes_at()
    if moment is None:
        return None
    left = (moment - (now or utcnow())).total_seconds()
    return left if left > 0 else None
