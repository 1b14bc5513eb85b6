from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from flask import Flask

from gateway.admin.dashboard import DateRange, RangeError, parse_range
from gateway.analytics.models import CollectStat, OutboxEvent
from gateway.analytics.reports import forwarding_panel, intake_panel
from gateway.extensions import db

TODAY = date(2026, 11, 25)


def test_parse_range_defaults_to_last_two_weeks() -> None:
    period = parse_range(None, None, TODAY)
    assert period == DateRange(date(2026, 11, 12), TODAY)
    assert len(period.days) == 14


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-13-01", None, "YYYY-MM-DD"),
        ("2026-11-20", "2026-11-01", "starts after"),
        ("2024-01-01", "2026-11-01", "at most"),
    ],
)
def test_parse_range_refuses_bad_input(start: str, end: str | None, message: str) -> None:
    with pytest.raises(RangeError, match=message):
        parse_range(start, end, TODAY)


def _stat(day: date, site: str, result: str, count: int, reason: str = "") -> CollectStat:
    return CollectStat(day=day, site=site, result=result, reason=reason, count=count)


def _outbox(
    status: str, sent: datetime | None, attempts: int = 0, site: str = "hottelecom"
) -> OutboxEvent:
    return OutboxEvent(
        site=site,
        mode="aggregate",
        event_json=json.dumps({"name": "page_view", "params": {}}),
        timestamp_micros=0,
        status=status,
        attempts=attempts,
        sent_at=sent,
    )


def test_intake_panel_counts_per_day_and_reason(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        session.add_all(
            [
                _stat(date(2026, 11, 24), "hottelecom", "event", 4),
                _stat(date(2026, 11, 24), "hottelecom", "aggregate", 10),
                _stat(date(2026, 11, 24), "hottelecom", "dropped", 3, "bot_user_agent"),
                _stat(date(2026, 11, 25), "hottelecom", "dropped", 1, "headless_browser"),
                _stat(date(2026, 11, 25), "shop", "aggregate", 100),
                _stat(date(2026, 10, 1), "hottelecom", "event", 999),  # outside the range
            ]
        )
        session.commit()
        panel = intake_panel(session, DateRange(date(2026, 11, 20), TODAY), "hottelecom")
        figures = {f.label: f.value for f in panel.figures}
        assert figures == {"received": "18", "event mode": "4", "aggregated": "10", "dropped": "4"}
        assert list(panel.rows) == [("bot_user_agent", "3"), ("headless_browser", "1")]
        everywhere = intake_panel(session, DateRange(date(2026, 11, 20), TODAY), None)
        assert {f.label: f.value for f in everywhere.figures}["aggregated"] == "110"
        assert "Event mode (consented): 4" in panel.charts[0]


def test_forwarding_panel_depth_retries_and_dead_letters(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        session.add_all(
            [
                _outbox("pending", None),
                _outbox("pending", None, attempts=2),
                _outbox("dead", None, attempts=1),
                _outbox("sent", datetime(2026, 11, 24, 10)),
                _outbox("sent", datetime(2026, 11, 24, 11)),
                _outbox("dry_run", datetime(2026, 11, 25, 9)),
                _outbox("pending", None, site="shop"),
            ]
        )
        session.commit()
        panel = forwarding_panel(session, DateRange(date(2026, 11, 20), TODAY), "hottelecom")
        figures = {f.label: f.value for f in panel.figures}
        assert figures == {
            "outbox depth": "2",
            "waiting to retry": "1",
            "dead letters": "1",
            "requests retried in range": "0",
        }
        assert "Sent to GA: 2" in panel.charts[0]
        assert "Kept (dry-run): 1" in panel.charts[0]


def test_stats_command_prints_the_panels(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        session.add(_stat(TODAY, "hottelecom", "dropped", 7, "crawler_pattern"))
        session.commit()
    result = app.test_cli_runner().invoke(
        args=["stats", "--from", "2026-11-20", "--to", "2026-11-25"]
    )
    assert result.exit_code == 0, result.output
    assert "2026-11-20 .. 2026-11-25, all sites" in result.output
    assert "Analytics events received" in result.output
    assert "crawler_pattern  7" in result.output
    bad = app.test_cli_runner().invoke(args=["stats", "--from", "yesterday"])
    assert bad.exit_code != 0
    assert "YYYY-MM-DD" in bad.output
