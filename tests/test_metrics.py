from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import time_machine
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from gateway.analytics.forwarding.fakega import FakeGA
from gateway.analytics.forwarding.forwarder import (
    Forwarder,
    ForwardSettings,
    HttpOutcome,
    attempt_label,
)
from gateway.analytics.intake.aggregate import micros
from gateway.analytics.models import OutboxEvent
from gateway.contact.models import ContactRequest
from gateway.db import make_engine
from gateway.extensions import db
from gateway.sites import all_sites
from gateway.timeutil import utcnow
from tests.conftest import DESKTOP_UA, AppFactory


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_metrics_count_requests_by_endpoint_and_status(client: FlaskClient) -> None:
    before = _samples(client.get("/metrics").get_data(as_text=True))
    key = (
        "gateway_http_requests_total",
        (("endpoint", "ops.healthz"), ("method", "GET"), ("status", "200")),
    )
    client.get("/healthz")
    client.get("/healthz")
    after = _samples(client.get("/metrics").get_data(as_text=True))
    assert after[key] - before.get(key, 0.0) == 2


def test_metrics_token_required_when_configured(app_factory: AppFactory) -> None:
    client = app_factory(METRICS_TOKEN="s3cret-token").test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200
    assert "gateway_http_requests_total" in ok.get_data(as_text=True)


BOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def _value(text: str, name: str, **labels: str) -> float:
    return _samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def _collect(client: FlaskClient, ua: str, events: list[dict[str, object]]) -> dict[str, object]:
    response = client.post(
        "/api/v1/collect",
        data=json.dumps(
            {
                "site": "hottelecom",
                "page": {"url": "https://hottelecom.example/tariffs"},
                "events": events,
            }
        ),
        content_type="application/json",
        headers={"User-Agent": ua, "Origin": "https://hottelecom.example"},
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()  # type: ignore[no-any-return]


def test_collect_events_are_counted_by_result_and_reason(client: FlaskClient) -> None:
    before = client.get("/metrics").get_data(as_text=True)
    human = _collect(client, DESKTOP_UA, [{"name": "page_view"}, {"name": "bad name!"}])
    bot = _collect(client, BOT_UA, [{"name": "page_view"}, {"name": "scroll"}])
    after = client.get("/metrics").get_data(as_text=True)
    assert human["accepted"] == 1
    [(human_reason, _)] = human["reasons"].items()  # type: ignore[attr-defined]
    [(bot_reason, _)] = bot["reasons"].items()  # type: ignore[attr-defined]

    def delta(**labels: str) -> float:
        name = "gateway_collect_events_total"
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert delta(result="aggregate", reason="") == 1
    assert delta(result="dropped", reason=human_reason) == 1
    assert delta(result="dropped", reason=bot_reason) == 2


def _pending(app: Flask, count: int) -> None:
    now = utcnow().replace(microsecond=0)
    with app.app_context():
        for index in range(count):
            db.session.add(
                OutboxEvent(
                    site="hottelecom",
                    mode="aggregate",
                    event_json=json.dumps(
                        {
                            "name": "page_view",
                            "params": {"page_path": f"/p{index}", "aggregated_count": 5},
                        }
                    ),
                    timestamp_micros=micros(now),
                    available_at=now - timedelta(seconds=1),
                )
            )
        db.session.commit()


def test_forward_attempts_are_counted_by_upstream_status(app: Flask) -> None:
    client = app.test_client()
    before = client.get("/metrics").get_data(as_text=True)
    with FakeGA() as fake, app.app_context():
        settings = ForwardSettings(
            endpoint=fake.url, backoff_base=0.01, backoff_max=0.02, once_deadline=5
        )
        fake.fail(400)
        _pending(app, 1)
        Forwarder(db.engine, all_sites(), settings).drain()
        _pending(app, 1)
        Forwarder(db.engine, all_sites(), settings).drain()
        _pending(app, 1)
        Forwarder(db.engine, all_sites(), ForwardSettings()).drain()  # dry-run
    after = client.get("/metrics").get_data(as_text=True)

    def delta(status: str) -> float:
        name = "gateway_forward_attempts_total"
        return _value(after, name, status=status) - _value(before, name, status=status)

    assert delta("400") == 1
    assert delta("204") == 1
    assert delta("dry_run") == 1


def test_attempts_without_a_status_are_labelled_by_error_kind() -> None:
    assert attempt_label(HttpOutcome("retry", status_code=503)) == "503"
    assert attempt_label(HttpOutcome("retry", error="timeout")) == "timeout"
    assert (
        attempt_label(HttpOutcome("retry", error="connection error (ConnectTimeout)"))
        == "connection_error"
    )


@time_machine.travel("2026-11-25 12:00:00", tick=False)
def test_outbox_and_request_queue_gauges(app: Flask) -> None:
    with app.app_context():
        for status, count in (("pending", 3), ("dead", 2), ("sent", 1)):
            for _ in range(count):
                db.session.add(
                    OutboxEvent(
                        site="shop",
                        mode="event",
                        event_json="{}",
                        timestamp_micros=0,
                        status=status,
                        created_at=datetime(2026, 11, 25, 11, 0),
                    )
                )
        for status, due in (
            ("open", date(2026, 11, 20)),
            ("open", date(2026, 12, 1)),
            ("completed", date(2026, 11, 1)),
        ):
            db.session.add(
                ContactRequest(
                    email="a@mail.example", request_type="access", status=status, due_date=due
                )
            )
        db.session.commit()
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert _value(text, "gateway_outbox_events", status="pending") == 3
    assert _value(text, "gateway_outbox_events", status="dead") == 2
    assert _value(text, "gateway_outbox_events", status="sent") == 1
    assert _value(text, "gateway_outbox_events", status="dry_run") == 0
    assert _value(text, "gateway_outbox_oldest_pending_seconds") == 3600
    assert _value(text, "gateway_requests", status="open") == 2
    assert _value(text, "gateway_requests", status="completed") == 1
    assert _value(text, "gateway_requests", status="unverified") == 0
    assert _value(text, "gateway_requests_overdue") == 1
    assert _value(text, "gateway_state_up") == 1


def test_a_scrape_while_the_database_is_down_still_answers(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    app = app_factory()
    app.extensions["gateway.db"].dispose()
    app.extensions["gateway.db"] = make_engine(f"sqlite:///{tmp_path}/missing/dir/none.db")
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert _value(text, "gateway_state_up") == 0
    assert "gateway_http_requests_total" in text
