"""The dashboard's charts: supporters sign from links with sources and from many countries,
some confirm, and the admin reads per hour, per day, per source and per country what they
did, in the tables beside drawings that screen readers can name."""

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from support import confirm_pending, sign

from campaign_site.admin import charts
from campaign_site.extensions import db
from campaign_site.petition import tallies

SVG = re.compile(r"<svg\b.*?</svg>", re.S)
FIGURE = re.compile(r'<figure class="chart" id="(?P<id>[^"]+)">(?P<body>.*?)</figure>', re.S)
ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)


def figures(html: str) -> dict[str, str]:
    return {match["id"]: match["body"] for match in FIGURE.finditer(html)}


def table_rows(figure: str) -> list[list[str]]:
    """The body rows of a chart's table, as cell texts."""
    body = figure.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [CELL.findall(row) for row in ROW.findall(body)]


def dashboard(admin_client) -> str:
    response = admin_client.get("/admin/signatures")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def signed_from_links(app, client):
    """Five supporters: three from the flyer (two confirm), one from a partner (confirms),
    one with no source (never confirms)."""
    sign(client, email="a@example.org", country="DE", source="flyer")
    sign(client, email="b@example.org", country="DE", source="flyer")
    sign(client, email="c@example.org", country="UA", source="partner-x")
    confirm_pending(app, client)
    sign(client, email="d@example.org", country="FR", source="flyer")
    sign(client, email="e@example.org", country="UA")


def test_per_source_table_shows_signed_confirmed_and_rate(signed_from_links, admin_client):
    rows = table_rows(figures(dashboard(admin_client))["chart-sources"])
    assert rows == [
        ["flyer", "3", "2", "66.7%"],
        ["(no source)", "1", "0", "0.0%"],
        ["partner-x", "1", "1", "100.0%"],
    ]


def test_per_country_table_names_countries(signed_from_links, admin_client):
    rows = table_rows(figures(dashboard(admin_client))["chart-countries"])
    assert rows == [
        ["Germany", "2", "2", "100.0%"],
        ["Ukraine", "2", "1", "50.0%"],
        ["France", "1", "0", "0.0%"],
    ]


def test_this_hour_and_today_hold_every_signature(signed_from_links, admin_client):
    html = dashboard(admin_client)
    now = datetime.now(UTC)
    hours = table_rows(figures(html)["chart-hours"])
    assert len(hours) == charts.HOURS_SHOWN
    assert hours[-1] == [f"{now:%Y-%m-%d %H}:00", "5", "3", "2"]
    assert all(row[1:] == ["0", "0", "0"] for row in hours[:-1])  # zeros, not missing
    assert hours[0][0] == f"{now - timedelta(hours=71):%Y-%m-%d %H}:00"
    assert table_rows(figures(html)["chart-days"]) == [[f"{now:%Y-%m-%d}", "5", "3", "2"]]


def test_days_since_the_first_signature_are_all_listed(app, admin_client):
    """Tally rows from four days ago and two hours ago: the days between show as zero."""
    now = datetime.now(UTC)
    with app.app_context():
        tallies.add(
            tallies.Key(now - timedelta(days=4), "poster", "DE", "en"), signed=3, confirmed=2
        )
        tallies.add(tallies.Key(now - timedelta(hours=2), None, "UA", "uk"), signed=1, confirmed=1)
        db.session.commit()
    html = dashboard(admin_client)
    days = table_rows(figures(html)["chart-days"])
    expected = {f"{now - timedelta(days=4):%Y-%m-%d}": ["3", "2", "1"]}
    two_hours_ago = now - timedelta(hours=2)
    expected[f"{two_hours_ago:%Y-%m-%d}"] = ["1", "1", "0"]
    assert [row[0] for row in days] == [
        f"{now - timedelta(days=d):%Y-%m-%d}" for d in range(4, -1, -1)
    ]
    for day, *numbers in days:
        assert numbers == expected.get(day, ["0", "0", "0"])
    hours = dict((row[0], row[1:]) for row in table_rows(figures(html)["chart-hours"]))
    assert hours[f"{two_hours_ago:%Y-%m-%d %H}:00"] == ["1", "1", "0"]
    assert sum(int(numbers[0]) for numbers in hours.values()) == 1  # four days ago: not in 72 h


def test_a_repeat_signature_is_not_counted_twice(app, client, admin_client):
    sign(client, email="w@example.org", country="GB", source="talk")
    sign(client, email="v@example.org", country="GB", source="talk")
    confirm_pending(app, client)
    sign(client, email="w@example.org", country="GB", source="talk")  # a repeat: not counted
    rows = table_rows(figures(dashboard(admin_client))["chart-sources"])
    assert rows == [["talk", "2", "2", "100.0%"]]


def test_empty_database_draws_zeros_and_says_so(admin_client):
    html = dashboard(admin_client)
    found = figures(html)
    assert set(found) == {"chart-hours", "chart-days", "chart-sources", "chart-countries"}
    assert len(table_rows(found["chart-hours"])) == charts.HOURS_SHOWN
    assert table_rows(found["chart-days"]) == [[f"{datetime.now(UTC):%Y-%m-%d}", "0", "0", "0"]]
    assert "No signatures yet." in found["chart-sources"]
    assert "No signatures yet." in found["chart-countries"]
    assert "Times are in UTC" in html


def test_every_chart_is_well_formed_svg_named_by_its_caption(signed_from_links, admin_client):
    html = dashboard(admin_client)
    found = figures(html)
    for chart_id, figure in found.items():
        (drawing,) = SVG.findall(figure)
        svg = ET.fromstring(drawing)
        assert svg.get("role") == "img"
        caption = re.search(
            rf'<figcaption[^>]*id="{svg.get("aria-labelledby")}"[^>]*>(.+?)<', figure
        )
        assert caption and caption.group(1).strip(), chart_id
        assert svg.get("aria-labelledby") == f"{chart_id}-title"
        assert f'id="{svg.get("aria-describedby")}"' in figure
        assert re.fullmatch(r"0 0 \d+ \d+", svg.get("viewBox"))
        assert "style" not in drawing  # the CSP forbids style attributes
    assert "(UTC)" in found["chart-hours"] and "(UTC)" in found["chart-days"]


def test_bars_are_as_tall_as_their_numbers(app, admin_client):
    """The tallest column reaches the scale's top; confirmed and pending stack in proportion."""
    with app.app_context():
        tallies.add(tallies.Key(datetime.now(UTC), "", "DE", "de"), signed=8, confirmed=6)
        db.session.commit()
    (drawing,) = SVG.findall(figures(dashboard(admin_client))["chart-hours"])
    svg = ET.fromstring(drawing)
    ns = "{http://www.w3.org/2000/svg}"
    rects = {rect.get("class"): rect for rect in svg.iter(f"{ns}rect")}
    confirmed, pending = rects["chart__confirmed"], rects["chart__pending"]
    plot = charts.TIME_HEIGHT - charts.PLOT_TOP - charts.PLOT_BOTTOM  # scale top: 10
    assert float(confirmed.get("height")) == pytest.approx(plot * 6 / 10)
    assert float(pending.get("height")) == pytest.approx(plot * 2 / 10)
    assert float(pending.get("y")) + float(pending.get("height")) == pytest.approx(
        float(confirmed.get("y"))
    )


@pytest.mark.parametrize(
    ("value", "top"), [(0, 10), (3, 10), (10, 10), (11, 20), (21, 50), (51, 100), (12_345, 20_000)]
)
def test_the_scale_ends_on_a_round_number(value, top):
    assert charts.nice_ceiling(value) == top


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0, "0"), (5_000, "5,000"), (20_000, "20k"), (250_000, "250k"), (1_500_000, "1.5M")],
)
def test_scale_values_are_short_enough_for_a_phone(value, shown):
    assert charts.short_number(value) == shown
