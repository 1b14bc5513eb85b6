"""The dashboard: the requests panel against known fixtures, the page, bad input, extension."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta

import pytest
import time_machine
from flask import Flask

from gateway.admin.charts import Series
from gateway.admin.dashboard import DateRange, Figure, Panel, register_panel, series_table
from gateway.contact.models import ContactRequest
from gateway.contact.reports import requests_panel, urgency
from gateway.extensions import db
from tests.admin_support import signed_in
from tests.dashboard_fixtures import fill

TODAY = date(2026, 11, 25)
# Noon UTC is 15:00 in Moscow: the same calendar day for the deadline rules.
NOON = "2026-11-25 12:00:00"
SVG = "{http://www.w3.org/2000/svg}"


def test_urgency_of_an_open_request() -> None:
    assert urgency(TODAY - timedelta(days=1), TODAY) == "overdue"
    assert urgency(TODAY, TODAY) == "soon"  # due today is not late yet
    assert urgency(TODAY + timedelta(days=6), TODAY) == "soon"
    assert urgency(TODAY + timedelta(days=7), TODAY) == "later"
    assert urgency(None, TODAY) == "later"


def test_series_table_adds_a_total_per_row() -> None:
    table = series_table(
        "Per day",
        "day",
        [("2026-11-24", {"a": 2, "b": 3, "ignored": 100}), ("2026-11-25", {"b": 1.5})],
        [Series("a", "A"), Series("b", "B")],
    )
    assert table.headers == ("day", "A", "B", "total")
    assert list(table.rows) == [("2026-11-24", "2", "3", "5"), ("2026-11-25", "0", "1.5", "1.5")]


def _bar_values(svg: str) -> dict[str, float]:
    """Each bar's tooltip ("row · series: value") → its value, as the chart draws it."""
    root = ET.fromstring(svg)
    values = {}
    for rect in root.iter(f"{SVG}rect"):
        title = rect.find(f"{SVG}title")
        if title is not None and title.text:
            label, value = title.text.rsplit(": ", 1)
            values[label] = float(value)
    return values


@time_machine.travel(NOON, tick=False)
def test_requests_panel_counts_open_due_soon_and_overdue(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        fill(session, TODAY)
        panel = requests_panel(session, DateRange(TODAY - timedelta(days=13), TODAY), None)
    figures = {f.label: (f.value, f.tone) for f in panel.figures}
    # From tests.dashboard_fixtures.REQUESTS: 9 active requests; due in 1, 2 and 5 days;
    # overdue by 1 and 3 days; one unverified; 10 received in the last 14 days.
    assert figures["open"] == ("9", "")
    assert figures["due within 7 days"] == ("3", "warn")
    assert figures["overdue"] == ("2", "bad")
    assert figures["awaiting e-mail confirmation"] == ("1", "")
    assert figures["received in range"] == ("10", "")
    assert figures["closed in range"] == ("3", "")
    rows = {row[0]: row[1:] for row in panel.rows}
    # Request types as words, not the codes stored in the database.
    #                      open in-progress waiting soon overdue
    assert rows["Erasure"] == ("1", "1", "0", "1", "1")
    assert rows["Question"] == ("1", "1", "0", "0", "1")
    assert rows["Refund"] == ("0", "0", "1", "1", "0")
    assert "Other" not in rows  # only an unverified one
    assert "withdraw-consent" not in rows
    bars = _bar_values(panel.charts[0])
    assert bars["erase · Overdue"] == 1
    assert bars["erase · Due within 7 days"] == 1
    assert bars["withdraw · Due later"] == 1
    assert sum(v for k, v in bars.items() if k.endswith("Overdue")) == 2
    received = {row[0]: row[-1] for row in panel.tables[0].rows}
    assert received["2026-11-25"] == "1"  # the unverified "other" from this morning
    assert received["2026-11-22"] == "1"


@time_machine.travel(NOON, tick=False)
def test_requests_panel_range_counts_only_what_it_covers(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        session.add_all(
            [
                ContactRequest(
                    email="a@mail.example",
                    request_type="access",
                    status="completed",
                    created_at=datetime(2026, 10, 1, 9),
                    closed_at=datetime(2026, 10, 20, 9),
                ),
                ContactRequest(
                    email="b@mail.example",
                    request_type="question",
                    status="open",
                    created_at=datetime(2026, 11, 24, 9),
                    due_date=date(2026, 12, 24),
                ),
            ]
        )
        session.commit()
        panel = requests_panel(session, DateRange(date(2026, 11, 20), TODAY), "shop")
    figures = {f.label: f.value for f in panel.figures}
    assert figures["received in range"] == "1"
    assert figures["closed in range"] == "0"
    assert figures["overdue"] == "0"
    assert "not tied to a site" in panel.note


@time_machine.travel(NOON, tick=False)
def test_dashboard_shows_every_panel_with_its_numbers(app: Flask) -> None:
    with app.app_context():
        fill(db.session(), TODAY)
    html = signed_in(app, "staff").get("/admin").get_data(as_text=True)
    for title in (
        "Data-subject requests",
        "Consent decisions",
        "Analytics events received",
        "Forwarded to Google Analytics",
    ):
        assert title in html
    # Requests (2), consent (2), intake (1), forwarding (1).
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 6
    assert "<script" not in html
    # The requests panel comes first: it holds deadlines.
    assert html.index("Data-subject requests") < html.index("Analytics events received")
    overdue = re.search(
        r'<li class="tone-bad"><span class="value">(\d+)</span> <span class="label">overdue', html
    )
    assert overdue is not None
    assert overdue.group(1) == "2"
    assert "bot_user_agent" in html
    assert '<a href="/admin/requests">Open the request queue →</a>' in html
    assert '<a href="/admin/forwarded">What Google receives →</a>' in html
    # Numbers are right-aligned, words are not.
    assert '<td class="num">1118</td>' not in html  # figures are not table cells
    assert re.search(r'<th scope="row">bot_user_agent</th><td class="num">\d+</td>', html)
    assert "<td>Initial version</td>" in html
    assert "2026-11-12 to 2026-11-25" in html


@time_machine.travel(NOON, tick=False)
def test_dashboard_site_filter(app: Flask) -> None:
    with app.app_context():
        fill(db.session(), TODAY)
    client = signed_in(app, "staff")
    both = client.get("/admin?from=2026-11-25&to=2026-11-25").get_data(as_text=True)
    shop = client.get("/admin?from=2026-11-25&to=2026-11-25&site=shop").get_data(as_text=True)

    def received(html: str) -> int:
        match = re.search(
            r'<span class="value">(\d+)</span> <span class="label">received</span>', html
        )
        assert match is not None
        return int(match.group(1))

    assert 0 < received(shop) < received(both)
    assert '<option value="shop" selected>' in shop


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=yesterday", "dates are written YYYY-MM-DD"),
        ("from=2026-02-30", "dates are written YYYY-MM-DD"),
        ("from=2026-11-25&to=2026-11-01", "the range starts after it ends"),
        ("from=2020-01-01&to=2026-11-25", "a range covers at most 366 days"),
        ("site=nowhere", "There is no site"),
        ("from=%00%ff&to=%E2%80%AE", "dates are written YYYY-MM-DD"),
    ],
)
@time_machine.travel(NOON, tick=False)
def test_bad_range_or_site_is_explained_not_a_500(app: Flask, query: str, message: str) -> None:
    response = signed_in(app, "staff").get("/admin?" + query)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    # The page still works: the default fortnight is shown below the message.
    assert "Analytics events received" in html


def test_a_registered_panel_appears_on_the_dashboard_and_in_stats(app_factory) -> None:  # type: ignore[no-untyped-def]
    """How the consent face will add its panel: a builder registered with an order."""
    app = app_factory()

    def consent_panel(session, period, site, lang):  # type: ignore[no-untyped-def]
        return Panel(
            id="consent",
            title="Consent decisions",
            figures=(Figure("decisions", "42"),),
            headers=("outcome", "count"),
            rows=(("accept all", "30"), ("reject all", "12")),
        )

    register_panel(app, 10, consent_panel)
    html = signed_in(app, "staff").get("/admin").get_data(as_text=True)
    assert "Consent decisions" in html
    assert html.index("Data-subject requests") < html.index("Consent decisions")
    assert html.index("Consent decisions") < html.index("Analytics events received")
    output = app.test_cli_runner().invoke(args=["stats"]).output
    assert "Consent decisions" in output
    assert "accept all" in output


@time_machine.travel(NOON, tick=False)
def test_stats_prints_the_requests_panel_and_the_numbers_per_day(app: Flask) -> None:
    with app.app_context():
        fill(db.session(), TODAY)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["stats", "--from", "2026-11-24", "--to", "2026-11-25", "--days"])
    assert result.exit_code == 0, result.output
    assert re.search(r"overdue\s+2\n", result.output)
    assert "Requests received per day" in result.output
    assert re.search(r"2026-11-25\s+0\s+0\s+0\s+0\s+0\s+0\s+1\s+1", result.output)
    without = runner.invoke(args=["stats", "--from", "2026-11-24", "--to", "2026-11-25"])
    assert "Requests received per day" not in without.output
    unknown = runner.invoke(args=["stats", "--site", "nowhere"])
    assert unknown.exit_code != 0
    assert "unknown site 'nowhere'" in unknown.output


@time_machine.travel(NOON, tick=False)
def test_what_needs_attention_comes_first(app: Flask) -> None:
    client = signed_in(app, "staff")
    calm = client.get("/admin").get_data(as_text=True)
    assert "Nothing needs attention" in calm
    with app.app_context():
        fill(db.session(), TODAY)
    html = client.get("/admin").get_data(as_text=True)
    strip = html.split('aria-labelledby="attention-title"', 1)[1].split("</section>", 1)[0]
    assert "Needs attention" in strip
    assert '<a href="#panel-requests"><strong>2</strong> overdue</a>' in strip
    assert '<a href="#panel-requests"><strong>3</strong> due within 7 days</a>' in strip
    assert '<a href="#panel-analytics-forwarding"><strong>3</strong> dead letters</a>' in strip
    assert "outbox depth" not in strip
    assert "dropped" not in strip  # bots being dropped is the anonymizer at work


@time_machine.travel(NOON, tick=False)
def test_policy_panel_announces_a_material_change(app: Flask) -> None:
    from gateway.policy.reports import policy_panel
    from gateway.policy.store import publish_version

    with app.app_context():
        session = db.session()
        period = DateRange(TODAY - timedelta(days=13), TODAY)
        calm = {f.label: (f.value, f.tone) for f in policy_panel(session, period, None).figures}
        assert calm["in force since 2026-01-01"] == ("v1", "")
        assert calm["announced, not yet in force"] == ("0", "")
        publish_version(
            session,
            text="# Policy\n\nNew text.",
            lang="en",
            effective=date(2026, 12, 20),
            summary="Longer retention of analytics.",
            material=True,
        )
        session.commit()
        panel = policy_panel(session, period, None)
    figures = {f.label: (f.value, f.tone) for f in panel.figures}
    label = "announced, not yet in force; material: visitors will be asked again"
    assert figures[label] == ("1", "warn")
    # Version 1 was loaded when the test database was made: counted when that is in range.
    assert int(figures["published in range"][0]) == int(calm["published in range"][0]) + 1
    assert [row[:4] for row in panel.rows] == [
        ("2", "2026-12-20", "upcoming", "yes"),
        ("1", "2026-01-01", "current", "yes"),
    ]
    html = signed_in(app, "staff").get("/admin").get_data(as_text=True)
    strip = html.split('aria-labelledby="attention-title"', 1)[1].split("</section>", 1)[0]
    assert "visitors will be asked again" in strip


@time_machine.travel(NOON, tick=False)
def test_the_form_shows_the_range_actually_shown(app: Flask) -> None:
    html = signed_in(app, "staff").get("/admin?from=soon&to=2026-11-20").get_data(as_text=True)
    assert 'name="from" type="date" value="2026-11-12"' in html
    assert 'name="to" type="date" value="2026-11-25"' in html
    good = signed_in(app, "admin").get("/admin?from=2026-11-01&to=2026-11-20&site=shop")
    page = good.get_data(as_text=True)
    assert 'name="from" type="date" value="2026-11-01"' in page
    assert "2026-11-01 to 2026-11-20 (UTC days) · HotTelecom Shop" in page


def test_a_long_panel_table_shows_its_first_rows_and_folds_the_rest(app: Flask) -> None:
    rows = tuple((f"reason {n}", str(100 - n)) for n in range(12))
    register_panel(
        app,
        99,
        lambda _s, _p, _site, _lang: Panel("long", "Long", headers=("reason", "n"), rows=rows),
    )
    html = signed_in(app, "staff").get("/admin").get_data(as_text=True)
    box = html.split('id="panel-long"', 1)[1].split("</section>", 1)[0]
    shown, folded = box.split('<details class="chart-data table-rest">', 1)
    assert "reason 7" in shown
    assert "reason 8" not in shown
    assert "<summary>4 more rows</summary>" in folded
    assert "reason 8" in folded
    assert "reason 11" in folded
