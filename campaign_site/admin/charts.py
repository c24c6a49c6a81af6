"""The signatures page's charts: signatures per hour (the last 72) and per day (since the first),
per source and per country, confirmed and pending, read from the signature tally only (73,000 rows
at a million signatures over 60 days, never the signatures) and drawn as inline SVG by
templates/admin/_charts.html."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Row, func, select

from campaign_site.admin import dashboard
from campaign_site.extensions import db
from campaign_site.models import SignatureTally, utcnow
from campaign_site.petition.tallies import hour_of
from campaign_site.web.countries import country_name

HOURS_SHOWN = 72
BARS_LISTED = 10  # rows drawn in the source and country charts; their tables list them all
NO_SOURCE = "(no source)"

# The drawing's own units (viewBox): CSS scales it to the page's width (static/css/site.css).
WIDTH = 640
TIME_HEIGHT = 260
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 96, 8, 16, 44
ROW_HEIGHT, ROW_TEXT, ROW_BAR = 56, 24, 18


@dataclass(frozen=True)
class Period:
    """Signatures signed in one hour or day: pending ones are signed but not confirmed."""

    start: datetime
    label: str  # as the table shows it, in UTC
    signed: int
    confirmed: int

    @property
    def pending(self) -> int:
        return self.signed - self.confirmed


@dataclass(frozen=True)
class Share:
    """Signatures from one source or country."""

    name: str
    signed: int
    confirmed: int

    @property
    def pending(self) -> int:
        return self.signed - self.confirmed

    @property
    def rate(self) -> str:
        """Confirmed out of signed, as a percentage with one decimal."""
        return f"{100 * self.confirmed / self.signed:.1f}%" if self.signed else "n/a"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class TimeChart:
    """Stacked columns (confirmed below, pending above) over zero-filled periods."""

    periods: list[Period]
    confirmed_bars: list[Rect]
    pending_bars: list[Rect]
    y_ticks: list[tuple[float, str]]  # (y, signatures as short_number writes them)
    x_labels: list[Label]
    height: int = TIME_HEIGHT
    width: int = WIDTH
    plot_left: int = PLOT_LEFT
    plot_right: int = WIDTH - PLOT_RIGHT
    plot_bottom: int = TIME_HEIGHT - PLOT_BOTTOM

    @property
    def signed(self) -> int:
        return sum(period.signed for period in self.periods)

    @property
    def confirmed(self) -> int:
        return sum(period.confirmed for period in self.periods)

    @property
    def busiest(self) -> Period | None:
        return max(self.periods, key=lambda p: p.signed) if self.signed else None


@dataclass(frozen=True)
class ShareRow:
    """One drawn row: the name and figures on a line, the bar under them."""

    share: Share
    text_y: float
    confirmed_bar: Rect
    pending_bar: Rect


@dataclass(frozen=True)
class ShareChart:
    """Horizontal stacked bars for the largest shares; the table lists every one."""

    shares: list[Share]
    rows: list[ShareRow]
    width: int = WIDTH

    @property
    def height(self) -> int:
        return max(1, len(self.rows)) * ROW_HEIGHT

    @property
    def signed(self) -> int:
        return sum(share.signed for share in self.shares)

    @property
    def confirmed(self) -> int:
        return sum(share.confirmed for share in self.shares)


@dataclass(frozen=True)
class Charts:
    hours: TimeChart
    days: TimeChart
    sources: ShareChart
    countries: ShareChart
    drawn_at: datetime  # the current hour, UTC


def dashboard_charts(now: datetime | None = None) -> Charts:
    """Everything the charts show: two GROUP BY queries over the tally (per hour), and the
    per-request breakdown the signatures page's tables share (admin/dashboard.py)."""
    this_hour = hour_of((now or utcnow()).astimezone(UTC))
    first_hour = this_hour - timedelta(hours=HOURS_SHOWN - 1)
    per_hour = _sums(SignatureTally.hour, SignatureTally.hour >= first_hour)
    hours = [
        Period(hour, f"{hour:%Y-%m-%d %H:00}", *per_hour.get(hour, (0, 0)))
        for hour in (first_hour + timedelta(hours=n) for n in range(HOURS_SHOWN))
    ]
    return Charts(
        hours=_time_chart(hours, [n for n, p in enumerate(hours) if p.start.hour == 0], "%d %b"),
        days=_time_chart(_days(this_hour.date()), None, "%d %b"),
        sources=_share_chart(
            Share(code or NO_SOURCE, signed, confirmed)
            for code, (signed, confirmed) in dashboard.breakdown().by(0).items()
        ),
        countries=_share_chart(
            Share(country_name(code), signed, confirmed)
            for code, (signed, confirmed) in dashboard.breakdown().by(1).items()
        ),
        drawn_at=this_hour,
    )


def _sums(key, *where) -> dict:
    """{key: (signed, confirmed)} over the tally rows that match."""
    rows: Iterable[Row] = db.session.execute(
        select(key, func.sum(SignatureTally.signed), func.sum(SignatureTally.confirmed))
        .where(*where)
        .group_by(key)
    )
    return {value: (int(signed or 0), int(confirmed or 0)) for value, signed, confirmed in rows}


def _days(today: date) -> list[Period]:
    """One period per day from the first signature's day (or today) to today, zeros kept."""
    per_day: dict[date, tuple[int, int]] = {}
    for hour, (signed, confirmed) in _sums(SignatureTally.hour).items():
        old_signed, old_confirmed = per_day.get(hour.date(), (0, 0))
        per_day[hour.date()] = (old_signed + signed, old_confirmed + confirmed)
    day = min([today, *per_day])
    days = []
    while day <= today:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        days.append(Period(start, f"{day:%Y-%m-%d}", *per_day.get(day, (0, 0))))
        day += timedelta(days=1)
    return days


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 times a power of ten (at least 10, so half of it is whole)
    that is >= value: the top of the scale."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= max(value, 10):
                return step * factor
        step *= 10


def short_number(n: int) -> str:
    """A scale's value in at most five characters, to fit beside the axis on a phone:
    9,000, 25k, 1.5M (the tables give every number in full)."""
    if n < 10_000:
        return f"{n:,}"
    if n < 1_000_000:
        return f"{n / 1000:g}k"
    return f"{n / 1_000_000:g}M"


def _time_chart(periods: list[Period], marks: list[int] | None, mark_format: str) -> TimeChart:
    """Columns across the plot; marks: the periods labelled under the axis (None: about five
    spread evenly, the first and the last among them)."""
    top = nice_ceiling(max(period.signed for period in periods))
    plot_width = WIDTH - PLOT_LEFT - PLOT_RIGHT
    plot_height = TIME_HEIGHT - PLOT_TOP - PLOT_BOTTOM
    base = TIME_HEIGHT - PLOT_BOTTOM
    slot = plot_width / len(periods)
    gap = slot * 0.15 if slot >= 3 else 0

    def height(n: int) -> float:
        return round(plot_height * n / top, 2)

    confirmed_bars, pending_bars = [], []
    for n, period in enumerate(periods):
        x = round(PLOT_LEFT + n * slot + gap / 2, 2)
        width = round(slot - gap, 2)
        confirmed_height, pending_height = height(period.confirmed), height(period.pending)
        confirmed_bars.append(Rect(x, base - confirmed_height, width, confirmed_height))
        pending_bars.append(
            Rect(x, base - confirmed_height - pending_height, width, pending_height)
        )
    if marks is None:
        last = len(periods) - 1
        marks = sorted({round(last * k / 4) for k in range(5)}) if last else [0]
    labels = []
    for n in marks:
        anchor = "start" if n == 0 else "end" if n == len(periods) - 1 else "middle"
        x = (
            PLOT_LEFT
            + n * slot
            + (0 if anchor == "start" else slot if anchor == "end" else slot / 2)
        )
        labels.append(
            Label(round(x, 2), TIME_HEIGHT - 12, periods[n].start.strftime(mark_format), anchor)
        )
    ticks = [(round(base - plot_height * k / 2, 2), short_number(top * k // 2)) for k in range(3)]
    return TimeChart(periods, confirmed_bars, pending_bars, ticks, labels)


def _share_chart(shares: Iterable[Share]) -> ShareChart:
    """Most signed first (ties by name); rows emptied by purges are left out."""
    listed = sorted((s for s in shares if s.signed > 0), key=lambda s: (-s.signed, s.name))
    top = max([share.signed for share in listed[:1]] + [1])
    rows = []
    for n, share in enumerate(listed[:BARS_LISTED]):
        y = n * ROW_HEIGHT
        confirmed_width = round(WIDTH * share.confirmed / top, 2)
        pending_width = round(WIDTH * share.pending / top, 2)
        bar_y = y + ROW_TEXT + 6
        rows.append(
            ShareRow(
                share,
                y + ROW_TEXT - 4,
                Rect(0, bar_y, confirmed_width, ROW_BAR),
                Rect(confirmed_width, bar_y, pending_width, ROW_BAR),
            )
        )
    return ShareChart(listed, rows)
