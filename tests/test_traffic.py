"""The gateway's own traffic view: /admin/traffic, its CSV and `gateway traffic`, from
k-anonymous daily counts of every visitor's page views, in dry-run from the first day."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from gateway.analytics.intake.aggregate import close_windows
from gateway.analytics.models import AggregateCount, TrafficDay
from gateway.extensions import db
from gateway.timeutil import today, utcnow
from tests.admin_support import signed_in
from tests.conftest import DESKTOP_UA, AppFactory
from tests.consent_helpers import recorded_token

ORIGIN = "https://hottelecom.example"
MOBILE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Mobile Safari/537.36"
)


def visit(
    client: FlaskClient,
    path: str,
    referrer: str = "",
    consent: str | None = None,
    ua: str = DESKTOP_UA,
    engaged: int = 0,
) -> None:
    events: list[dict[str, Any]] = [{"name": "page_view"}]
    if engaged:
        events.append({"name": "user_engagement", "params": {"engagement_time_msec": engaged}})
    body: dict[str, Any] = {
        "site": "hottelecom",
        "page": {"url": ORIGIN + path, "referrer": referrer},
        "events": events,
    }
    if consent:
        body["consent"] = consent
    response = client.post(
        "/api/v1/collect", json=body, headers={"User-Agent": ua, "Origin": ORIGIN}
    )
    assert response.status_code == 202


def traffic_rows(app: Flask) -> list[TrafficDay]:
    with app.app_context():
        return list(db.session.scalars(sa.select(TrafficDay).order_by(TrafficDay.id)))


def close_all(app: Flask, k: int = 5) -> None:
    with app.app_context():
        close_windows(db.engine, utcnow(), 3600, k, {"hottelecom": ORIGIN}, flush=True)


def sample_traffic(app: Flask) -> None:
    """12 page views of /tariffs (7 from Yandex, 5 of them consented), 6 of / direct on
    phones, and one visit each to two rare pages."""
    client = app.test_client()
    token = recorded_token(app, consent_id="traffic-visitor")
    for n in range(7):
        visit(client, "/tariffs", "https://yandex.ru/", consent=token if n < 5 else None)
    for _ in range(5):
        visit(client, "/tariffs", "https://yandex.ru/", engaged=20_000)
    for _ in range(6):
        visit(client, "/", ua=MOBILE_UA)
    visit(client, "/u/ivan-petrov")
    visit(client, "/orders/olga")


def test_closing_a_window_keeps_k_anonymous_page_views_of_every_visitor(app: Flask) -> None:
    sample_traffic(app)
    with app.app_context():
        consented = db.session.scalar(
            sa.select(sa.func.sum(AggregateCount.count)).where(AggregateCount.consented)
        )
    assert consented == 5  # counted for the traffic view, never forwarded as aggregates
    close_all(app)
    kept = traffic_rows(app)
    assert all(row.views >= 5 for row in kept)
    by_page = {}
    for row in kept:
        by_page[row.page_path] = by_page.get(row.page_path, 0) + row.views
    assert by_page["/tariffs"] == 12  # consented and unconsented together
    assert by_page["/"] == 6
    assert not any("ivan" in row.page_path or "olga" in row.page_path for row in kept)
    assert {(r.source, r.medium) for r in kept if r.page_path == "/tariffs"} == {
        ("yandex", "organic")
    }
    engaged = sum(r.engagement_msec for r in kept if r.page_path == "/tariffs")
    assert engaged == 5 * 20_000
    with app.app_context():
        forwarded = db.session.execute(sa.text("SELECT event_json FROM outbox_events")).all()
    # GA gets the unconsented counts only (the consented views went as events).
    aggregated = [row[0] for row in forwarded if "aggregated_count" in row[0]]
    assert not any('"aggregated_count":12' in e.replace(" ", "") for e in aggregated)


def test_the_traffic_page_shows_charts_and_numbers_for_a_period_and_site(app: Flask) -> None:
    sample_traffic(app)
    close_all(app)
    staff = signed_in(app, "staff")
    page = staff.get(f"/admin/traffic?site=hottelecom&from={today()}&to={today()}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html
    assert "Top pages" in html
    assert "<code>/tariffs</code>" in html
    assert "yandex / organic" in html
    assert "(direct) / (none)" in html
    assert "mobile" in html
    assert "ivan" not in html
    assert ">18<" in html  # page views in the range: 12 + 6 (the rare pages fold away)
    russian = staff.get("/admin/traffic?lang=ru").get_data(as_text=True)
    assert "Посещаемость" in russian
    assert "Популярные страницы" in russian


def test_the_traffic_page_explains_bad_input_and_needs_a_sign_in(
    app: Flask, client: FlaskClient
) -> None:
    assert client.get("/admin/traffic").status_code in (302, 303)
    staff = signed_in(app, "staff")
    page = staff.get("/admin/traffic?from=2026-13-01&site=nowhere")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "dates are written YYYY-MM-DD" in html
    assert "There is no site" in html
    assert staff.get("/admin/traffic/export.csv?from=yesterday").status_code == 400


def test_csv_export_has_every_figure_and_is_safe_for_spreadsheets(app: Flask) -> None:
    sample_traffic(app)
    close_all(app)
    with app.app_context(), db.transaction() as session:
        session.add(
            TrafficDay(
                day=today(),
                site="hottelecom",
                page_path="=HYPERLINK(1)",
                source="(direct)",
                medium="(none)",
                country="",
                device_category="desktop",
                views=5,
                engagement_msec=0,
            )
        )
    staff = signed_in(app, "staff")
    response = staff.get(f"/admin/traffic/export.csv?from={today()}&to={today()}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert table[0] == ["breakdown", "value", "page_views", "share", "engaged_seconds_per_view"]
    assert ["day", today().isoformat(), "23", "1.0000", ""] in table
    lines = {(row[0], row[1]): row[2] for row in table[1:]}
    assert lines[("page_path", "/tariffs")] == "12"
    assert lines[("source_medium", "yandex / organic")] == "12"
    assert lines[("device_category", "mobile")] == "6"
    assert ("page_path", "'=HYPERLINK(1)") in lines


def test_gateway_traffic_prints_the_same_figures(app: Flask) -> None:
    sample_traffic(app)
    close_all(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["traffic", "--site", "hottelecom"])
    assert result.exit_code == 0, result.output
    assert "18 page views" in result.output
    assert "/tariffs" in result.output
    assert "yandex / organic" in result.output
    month = today().strftime("%Y-%m")
    as_csv = runner.invoke(args=["traffic", "--month", month, "--format", "csv"])
    assert as_csv.exit_code == 0
    assert "page_path,/tariffs,12" in as_csv.output
    for bad in (["--month", "2026-13"], ["--site", "nowhere"], ["--month", month, "--to", "x"]):
        refused = runner.invoke(args=["traffic", *bad])
        assert refused.exit_code == 2
        assert "Error" in refused.output


def test_an_empty_range_says_when_figures_come(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["traffic"])
    assert result.exit_code == 0
    assert "0 page views" in result.output
    assert "aggregate window closes" in result.output


def test_in_dry_run_the_forwarder_alone_fills_the_traffic_view(app_factory: AppFactory) -> None:
    app = app_factory(GA_ENDPOINT="dry-run")
    client = app.test_client()
    for _ in range(5):
        visit(client, "/support", "https://t.me/hottelecom")
    result = app.test_cli_runner().invoke(args=["forward", "--once", "--flush"])
    assert result.exit_code == 0, result.output
    (row,) = traffic_rows(app)
    assert (row.page_path, row.source, row.medium, row.views) == ("/support", "t.me", "social", 5)


def test_old_traffic_figures_are_purged_after_their_retention(app_factory: AppFactory) -> None:
    app = app_factory(TRAFFIC_RETENTION=30)
    with app.app_context(), db.transaction() as session:
        for age in (10, 40):
            session.add(
                TrafficDay(
                    day=today() - timedelta(days=age),
                    site="hottelecom",
                    page_path="/",
                    source="(direct)",
                    medium="(none)",
                    country="",
                    device_category="desktop",
                    views=9,
                    engagement_msec=0,
                )
            )
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert [r.day for r in traffic_rows(app)] == [today() - timedelta(days=10)]
