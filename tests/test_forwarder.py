"""The forwarder against the local GA4 stand-in: no loss, no duplicates, nothing identifying."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from gateway.analytics.forwarding import outbox
from gateway.analytics.forwarding.fakega import FakeGA, Fault
from gateway.analytics.forwarding.forwarder import (
    Forwarder,
    ForwardSettings,
    backoff_delay,
    classify,
    parse_retry_after,
)
from gateway.analytics.forwarding.ga4 import check_request, forbidden_fields_in
from gateway.analytics.forwarding.models import ForwardedRequest
from gateway.analytics.models import AggregateCount, OutboxEvent
from gateway.extensions import db
from gateway.sites import all_sites
from gateway.timeutil import utcnow
from tests.conftest import AppFactory

SECRETS = {"G-TEST000001": "test-api-secret", "G-TEST000002": "shop-api-secret"}
FAST = {
    "GA_TIMEOUT": 1,
    "FORWARD_BACKOFF_BASE": 0.05,
    "FORWARD_BACKOFF_MAX": 0.3,
    "FORWARD_ONCE_DEADLINE": 20,
    "FORWARD_POLL_INTERVAL": 0.05,
    "FORWARD_CLAIM_TTL": 30,
}


@pytest.fixture
def fake_ga() -> Iterator[FakeGA]:
    with FakeGA() as fake:
        yield fake


@pytest.fixture
def live_app(app_factory: AppFactory, fake_ga: FakeGA) -> Flask:
    return app_factory(GA_ENDPOINT=fake_ga.url, **FAST)


def add_events(
    app: Flask,
    count: int,
    *,
    clients: int = 1,
    site: str = "hottelecom",
    mode: str = "event",
    start: int = 0,
) -> list[int]:
    """Outbox rows as the intake writes them; param ``n`` tells every event apart."""
    now = utcnow()
    rows = []
    for i in range(start, start + count):
        event = {
            "name": "page_view",
            "params": {
                "n": i,
                "page_location": f"https://hottelecom.example/p/{i}",
                "session_id": "1732540000",
                "engagement_time_msec": 1,
            },
        }
        aggregate = mode == "aggregate"
        rows.append(
            OutboxEvent(
                site=site,
                mode=mode,
                client_id=None if aggregate else f"{1000 + i % clients}.1732540000",
                user_location_json=None
                if aggregate
                else json.dumps({"country_id": "RU", "region_id": "RU-MOW"}),
                device_json=None
                if aggregate
                else json.dumps(
                    {
                        "category": "desktop",
                        "operating_system": "Linux",
                        "browser": "Chrome",
                        "browser_version": "120",
                    }
                ),
                event_json=json.dumps(event),
                timestamp_micros=int(time.time() * 1_000_000),
                status="pending",
                attempts=0,
                available_at=now,
                created_at=now,
            )
        )
    with app.app_context(), db.transaction() as session:
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]


def statuses(app: Flask) -> Counter[str]:
    with app.app_context():
        return Counter(db.session.scalars(sa.select(OutboxEvent.status)))


def forwarder(app: Flask, **overrides: Any) -> Forwarder:
    with app.app_context():
        settings = ForwardSettings.from_config(app.config)
        sites = all_sites()
        engine = db.engine
    if overrides:
        settings = ForwardSettings(**{**settings.__dict__, **overrides})
    return Forwarder(engine, sites, settings)


def delivered_numbers(fake: FakeGA) -> Counter[int]:
    return Counter(
        e["params"]["n"] for r in fake.accepted() for e in r["body"]["events"] if "n" in e["params"]
    )


def assert_nothing_identifying(fake: FakeGA) -> None:
    """Every request GA received: valid, no identifying field, the site's own secret."""
    for request in fake.recorded:
        assert forbidden_fields_in(request["body"]) == [], request["body"]
        if request["path"] == "/mp/collect" and request["status"] < 300:
            assert request["query"]["api_secret"] == SECRETS[request["query"]["measurement_id"]]
            now = int(time.time() * 1_000_000)
            assert check_request(request["body"], now, request["size"]) == []
            assert request["content_type"] == "application/json"


# ---------------------------------------------------------------- pure helpers


def test_classify_statuses() -> None:
    assert [classify(s) for s in (200, 204, 400, 403, 404, 408, 429, 500, 503)] == [
        "sent",
        "sent",
        "dead",
        "dead",
        "dead",
        "retry",
        "retry",
        "retry",
        "retry",
    ]


def test_backoff_grows_is_capped_and_honours_retry_after() -> None:
    assert backoff_delay(1, 1.0, 60, rand=lambda: 1.0) == 1.0
    assert backoff_delay(4, 1.0, 60, rand=lambda: 1.0) == 8.0
    assert backoff_delay(4, 1.0, 60, rand=lambda: 0.0) == 4.0  # jitter: half to full
    assert backoff_delay(30, 1.0, 60, rand=lambda: 1.0) == 60.0
    assert backoff_delay(1, 1.0, 60, retry_after=90, rand=lambda: 1.0) == 90.0
    assert backoff_delay(1, 1.0, 60, retry_after=10**6, rand=lambda: 1.0) == 3600.0


def test_retry_after_as_seconds_or_http_date() -> None:
    now = utcnow().replace(microsecond=0)
    later = (now + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(later, now) == pytest.approx(30, abs=1)
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


# ---------------------------------------------------------------- delivery


def test_events_are_delivered_once_in_full_requests(live_app: Flask, fake_ga: FakeGA) -> None:
    add_events(live_app, 60)
    result = forwarder(live_app).drain()
    assert result.pending_left == 0
    assert statuses(live_app) == {"sent": 60}
    assert [len(r["body"]["events"]) for r in fake_ga.accepted()] == [25, 25, 10]
    assert delivered_numbers(fake_ga) == Counter(range(60))
    body = fake_ga.accepted()[0]["body"]
    assert body["client_id"] == "1000.1732540000"
    assert body["user_location"] == {"country_id": "RU", "region_id": "RU-MOW"}
    assert body["device"]["category"] == "desktop"
    assert_nothing_identifying(fake_ga)
    with live_app.app_context():
        records = db.session.scalars(sa.select(ForwardedRequest)).all()
        assert [(r.outcome, r.status_code, r.endpoint_kind) for r in records] == [
            ("sent", 204, "live")
        ] * 3
        assert all("test-api-secret" not in r.body_json for r in records)
    # What staff see is exactly what Google received.
    assert [json.loads(r.body_json) for r in records] == [r["body"] for r in fake_ga.accepted()]


def test_zero_loss_through_an_outage(live_app: Flask, fake_ga: FakeGA) -> None:
    """503s, a 429 with Retry-After, a hang longer than GA_TIMEOUT, then recovery."""
    add_events(live_app, 60)
    fake_ga.fail(503, times=3)
    fake_ga.fail(429, times=1, retry_after=1)
    fake_ga.hang(2.5)  # GA_TIMEOUT is 1 s
    result = forwarder(live_app).drain()

    assert result.pending_left == 0
    assert not result.gave_up
    assert statuses(live_app) == {"sent": 60}
    assert delivered_numbers(fake_ga) == Counter(range(60))  # every event exactly once
    faults = [r["fault"] for r in fake_ga.recorded if r["fault"]]
    assert faults == ["503", "503", "503", "429", "hang 2.5s"]
    # Retry-After: 1 was honoured although the backoff cap is 0.3 s.
    recorded = fake_ga.recorded
    after_429 = next(i for i, r in enumerate(recorded) if r["fault"] == "429") + 1
    gap = _seconds_between(recorded[after_429 - 1], recorded[after_429])
    assert gap >= 0.95
    assert_nothing_identifying(fake_ga)
    with live_app.app_context():
        outcomes = Counter(db.session.scalars(sa.select(ForwardedRequest.outcome)))
        errors = db.session.scalars(
            sa.select(ForwardedRequest.error).where(ForwardedRequest.error.is_not(None))
        ).all()
        attempts = db.session.scalars(sa.select(OutboxEvent.attempts)).all()
    assert outcomes == {"retry": 5, "sent": 3}
    assert errors == ["timeout"]
    assert max(attempts) == 6  # the first batch: 5 failures, then success
    assert result.totals.failed_requests == 5


def _seconds_between(a: dict[str, Any], b: dict[str, Any]) -> float:
    from datetime import datetime

    return (
        datetime.fromisoformat(b["received_at"]) - datetime.fromisoformat(a["received_at"])
    ).total_seconds()


def test_once_gives_up_after_its_deadline_and_keeps_the_events(
    app_factory: AppFactory, fake_ga: FakeGA
) -> None:
    app = app_factory(GA_ENDPOINT=fake_ga.url, **{**FAST, "FORWARD_ONCE_DEADLINE": 1})
    add_events(app, 5)
    fake_ga.fail(503, times=1000)
    started = time.monotonic()
    result = forwarder(app).drain()
    assert time.monotonic() - started < 5
    assert result.gave_up
    assert result.pending_left == 5
    assert statuses(app) == {"pending": 5}
    with app.app_context():
        errors = set(db.session.scalars(sa.select(OutboxEvent.last_error)))
        claims = set(db.session.scalars(sa.select(OutboxEvent.claimed_by)))
    assert errors == {"HTTP 503"}
    assert claims == {None}  # nothing left claimed: the next run starts at once
    fake_ga.clear_faults()
    time.sleep(0.35)  # the last backoff
    assert forwarder(app).drain().pending_left == 0
    assert delivered_numbers(fake_ga) == Counter(range(5))


def test_other_4xx_are_dead_lettered_with_gas_answer(live_app: Flask, fake_ga: FakeGA) -> None:
    add_events(live_app, 30)  # two requests: 25 + 5
    fake_ga.fail(400, times=1)
    result = forwarder(live_app).drain()
    assert result.pending_left == 0
    assert statuses(live_app) == {"dead": 25, "sent": 5}
    with live_app.app_context():
        reasons = set(
            db.session.scalars(
                sa.select(OutboxEvent.last_error).where(OutboxEvent.status == "dead")
            )
        )
        dead_record = db.session.scalars(
            sa.select(ForwardedRequest).where(ForwardedRequest.outcome == "dead")
        ).one()
    assert len(reasons) == 1
    reason = reasons.pop()
    assert reason.startswith("HTTP 400:")
    assert '"error": "400"' in reason
    assert dead_record.status_code == 400
    assert dead_record.event_count == 25
    assert len(fake_ga.recorded) == 2  # a dead letter is not retried


def test_dead_letters_can_be_requeued(live_app: Flask, fake_ga: FakeGA) -> None:
    add_events(live_app, 3)
    fake_ga.fail(403, times=1)
    forwarder(live_app).drain()
    assert statuses(live_app) == {"dead": 3}
    runner = live_app.test_cli_runner()
    listed = runner.invoke(args=["outbox", "dead"])
    assert "HTTP 403" in listed.output
    result = runner.invoke(args=["outbox", "requeue", "--yes"])
    assert "3 event(s) pending again" in result.output
    forwarder(live_app).drain()
    assert statuses(live_app) == {"sent": 3}


def test_unsendable_events_are_dead_lettered_with_the_validator_reason(
    live_app: Flask, fake_ga: FakeGA
) -> None:
    now = utcnow()
    with live_app.app_context(), db.transaction() as session:
        session.add(
            OutboxEvent(
                site="hottelecom",
                mode="event",
                client_id="1.1",
                event_json=json.dumps({"name": "click"}),
                timestamp_micros=int(time.time() * 1_000_000) - 80 * 3600 * 1_000_000,
                available_at=now,
                created_at=now,
            )
        )
        session.add(
            OutboxEvent(
                site="gone-site",
                mode="event",
                client_id="1.1",
                event_json=json.dumps({"name": "click"}),
                timestamp_micros=int(time.time() * 1_000_000),
                available_at=now,
                created_at=now,
            )
        )
    forwarder(live_app).drain()
    with live_app.app_context():
        reasons = sorted(r or "" for r in db.session.scalars(sa.select(OutboxEvent.last_error)))
    assert reasons == ["", "site 'gone-site' is not configured"]
    # The stale event is not lost: it went at the oldest time GA takes.
    (sent,) = fake_ga.accepted()
    (event,) = sent["body"]["events"]
    age = time.time() * 1_000_000 - event["timestamp_micros"]
    assert 71 * 3600 * 1_000_000 < age < 72 * 3600 * 1_000_000


def test_each_site_gets_its_own_measurement_id_and_secret(live_app: Flask, fake_ga: FakeGA) -> None:
    add_events(live_app, 2, site="hottelecom")
    add_events(live_app, 2, site="shop", start=100)
    forwarder(live_app).drain()
    ids = sorted(r["query"]["measurement_id"] for r in fake_ga.accepted())
    assert ids == ["G-TEST000001", "G-TEST000002"]
    assert_nothing_identifying(fake_ga)


def test_aggregate_windows_are_forwarded_24_or_more_buckets_per_request(
    live_app: Flask, fake_ga: FakeGA
) -> None:
    window = (utcnow() - timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    with live_app.app_context(), db.transaction() as session:
        for i in range(100):
            session.add(
                AggregateCount(
                    window_start=window,
                    site="hottelecom",
                    event_name="page_view",
                    page_path=f"/page/{i}",
                    country=["RU", "KZ", "DE"][i % 3],
                    device_category=["desktop", "mobile"][i % 2],
                    count=5 + i,
                )
            )
        session.add(
            AggregateCount(
                window_start=window,
                site="hottelecom",
                event_name="page_view",
                page_path="/profile/ivan.petrov@example.com",
                country="RU",
                device_category="desktop",
                count=1,
            )
        )
    result = forwarder(live_app).drain()
    assert result.pending_left == 0
    requests = fake_ga.accepted()
    events = [e for r in requests for e in r["body"]["events"]]
    assert len(events) == 100
    assert sum(e["params"]["aggregated_count"] for e in events) == sum(5 + i for i in range(100))
    assert len(events) / len(requests) >= 24
    assert [len(r["body"]["events"]) for r in requests] == [25] * 4
    assert "ivan" not in json.dumps([r["body"] for r in requests])
    # No identifier links two requests: each has its own random client id.
    client_ids = [r["body"]["client_id"] for r in requests]
    assert len(set(client_ids)) == len(client_ids)
    assert all("user_location" not in r["body"] for r in requests)
    assert_nothing_identifying(fake_ga)


# ---------------------------------------------------------------- concurrency and crashes


def test_concurrent_forwarders_never_send_an_event_twice(live_app: Flask, fake_ga: FakeGA) -> None:
    total = 600
    add_events(live_app, total, clients=40)
    workers = [forwarder(live_app, claim_limit=30) for _ in range(3)]
    errors: list[BaseException] = []

    def run(worker: Forwarder) -> None:
        try:
            worker.drain()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert not any(t.is_alive() for t in threads)
    assert statuses(live_app) == {"sent": total}
    assert delivered_numbers(fake_ga) == Counter(range(total))
    with live_app.app_context():
        used = set(db.session.scalars(sa.select(ForwardedRequest.worker)))
    assert len(used) >= 2  # they really ran side by side


def test_a_dead_workers_claim_expires_and_its_batch_is_sent_once(
    live_app: Flask, fake_ga: FakeGA
) -> None:
    add_events(live_app, 10)
    with live_app.app_context():
        claimed = outbox.claim(db.engine, "crashed-worker", utcnow(), 100, ttl_seconds=1)
    assert len(claimed) == 10
    started = time.monotonic()
    result = forwarder(live_app).drain()
    assert time.monotonic() - started >= 0.9  # it waited for the claim to expire
    assert result.pending_left == 0
    assert delivered_numbers(fake_ga) == Counter(range(10))
    with live_app.app_context():
        assert set(db.session.scalars(sa.select(OutboxEvent.attempts))) == {2}


def test_a_crash_between_gas_answer_and_the_commit_loses_nothing(
    live_app: Flask, fake_ga: FakeGA, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented at-least-once window: the batch is sent again, never lost."""
    add_events(live_app, 5)
    crashing = forwarder(live_app, claim_ttl=4)

    def crash(*_args: Any, **_kwargs: Any) -> int:
        raise RuntimeError("process killed")

    monkeypatch.setattr(outbox, "mark_delivered", crash)
    with pytest.raises(RuntimeError):
        crashing.forward_batch()
    monkeypatch.undo()
    assert statuses(live_app) == {"pending": 5}
    forwarder(live_app).drain()
    assert statuses(live_app) == {"sent": 5}
    assert delivered_numbers(fake_ga) == Counter(dict.fromkeys(range(5), 2))


# ---------------------------------------------------------------- dry-run and commands


def test_outbox_show_says_what_to_run_when_events_wait_and_nothing_was_sent(
    app_factory: AppFactory,
) -> None:
    app = app_factory(GA_ENDPOINT="dry-run", **FAST)
    runner = app.test_cli_runner()
    empty = runner.invoke(args=["outbox", "show"])
    assert empty.output == (
        "no forwarded requests recorded\n"
        "The outbox is empty too: consented page views land there "
        "(try /demo on a running `gateway serve`).\n"
    )
    add_events(app, 3)
    waiting = runner.invoke(args=["outbox", "show"])
    assert waiting.exit_code == 0
    assert "3 event(s) wait in the outbox: no forwarder has sent them yet" in waiting.output
    assert "`gateway forward`" in waiting.output


def test_empty_outbox_stats_and_requeue_say_so(app_factory: AppFactory) -> None:
    app = app_factory(GA_ENDPOINT="dry-run", **FAST)
    runner = app.test_cli_runner()
    stats = runner.invoke(args=["outbox", "stats"])
    assert stats.exit_code == 0
    assert stats.output.startswith("the outbox is empty: consented page views land there")
    # Nothing dead-lettered: no question to answer, and a plain line why.
    requeue = runner.invoke(args=["outbox", "requeue"], input="")
    assert requeue.exit_code == 0, requeue.output
    assert requeue.output == "no dead letters to requeue\n"
    add_events(app, 2)
    assert "the outbox is empty" not in runner.invoke(args=["outbox", "stats"]).output


def test_dry_run_keeps_the_payloads_exactly_as_they_would_be_sent(
    app_factory: AppFactory,
) -> None:
    app = app_factory(GA_ENDPOINT="dry-run", **FAST)
    add_events(app, 30)
    result = forwarder(app).drain()
    assert result.totals.dry_run == 30
    assert result.totals.requests == 2
    assert statuses(app) == {"dry_run": 30}
    with app.app_context():
        records = db.session.scalars(sa.select(ForwardedRequest).order_by(ForwardedRequest.id))
        records = list(records)
    assert [(r.endpoint_kind, r.outcome, r.event_count) for r in records] == [
        ("dry-run", "dry_run", 25),
        ("dry-run", "dry_run", 5),
    ]
    now = int(time.time() * 1_000_000)
    for record in records:
        body = json.loads(record.body_json)
        assert check_request(body, now, len(record.body_json.encode())) == []
        assert "test-api-secret" not in record.body_json
        assert record.measurement_id == "G-TEST000001"
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["outbox", "show", "--limit", "1"])
    assert shown.exit_code == 0, shown.output
    assert "dry-run dry_run" in shown.output
    assert "events=5" in shown.output
    assert "https://hottelecom.example/p/29" in shown.output
    assert "test-api-secret" not in shown.output
    assert "api_secret=…" in shown.output
    none = runner.invoke(args=["outbox", "show", "--status", "dead"])
    assert "no forwarded requests recorded" in none.output
    stats = runner.invoke(args=["outbox", "stats"])
    assert "events dry_run: 30" in stats.output
    assert "requests dry_run: 2" in stats.output


def test_forward_command_once_with_flush(app_factory: AppFactory, fake_ga: FakeGA) -> None:
    app = app_factory(GA_ENDPOINT=fake_ga.url, **FAST)
    with app.app_context(), db.transaction() as session:
        session.add(
            AggregateCount(
                window_start=utcnow().replace(minute=0, second=0, microsecond=0),
                site="hottelecom",
                event_name="page_view",
                page_path="/",
                country="RU",
                device_category="mobile",
                count=9,
            )
        )
    runner = app.test_cli_runner()
    unflushed = runner.invoke(args=["forward", "--once"])
    assert unflushed.exit_code == 0, unflushed.output
    assert fake_ga.recorded == []  # the window is still open
    flushed = runner.invoke(args=["forward", "--once", "--flush"])
    assert flushed.exit_code == 0, flushed.output
    assert "events sent: 1" in flushed.output
    [request] = fake_ga.accepted()
    assert request["body"]["events"][0]["params"]["aggregated_count"] == 9


def test_forward_command_once_exits_non_zero_when_it_gives_up(
    app_factory: AppFactory, fake_ga: FakeGA
) -> None:
    app = app_factory(GA_ENDPOINT=fake_ga.url, **{**FAST, "FORWARD_ONCE_DEADLINE": 0.5})
    add_events(app, 2)
    fake_ga.fail(502, times=1000)
    result = app.test_cli_runner().invoke(args=["forward", "--once"])
    assert result.exit_code == 1
    assert "2 event(s) left pending" in result.output


def test_ga_validate_prints_gas_messages(app_factory: AppFactory, fake_ga: FakeGA) -> None:
    app = app_factory(GA_ENDPOINT=fake_ga.url)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["ga-validate", "--site", "hottelecom"])
    assert ok.exit_code == 0, ok.output
    assert "hottelecom (G-TEST000001) event: valid" in ok.output
    assert "hottelecom (G-TEST000001) aggregate: valid" in ok.output
    debug = [r for r in fake_ga.recorded if r["path"] == "/debug/mp/collect"]
    assert len(debug) == 2
    assert fake_ga.accepted() == []
    dry = app_factory(GA_ENDPOINT="dry-run").test_cli_runner().invoke(args=["ga-validate"])
    assert dry.exit_code != 0
    assert "--endpoint" in dry.output
    unknown = runner.invoke(args=["ga-validate", "--site", "nope"])
    assert unknown.exit_code != 0
    assert "unknown site" in unknown.output


def test_ga_validate_fails_on_validation_messages(app_factory: AppFactory) -> None:
    """A validation server that complains makes the command fail and print why."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Complaining(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            data = json.dumps(
                {
                    "validationMessages": [
                        {
                            "fieldPath": "events",
                            "description": "Event at index: [0] has invalid name",
                            "validationCode": "NAME_INVALID",
                        }
                    ]
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Complaining)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        app = app_factory(GA_ENDPOINT="dry-run")
        result = app.test_cli_runner().invoke(
            args=["ga-validate", "--endpoint", f"http://127.0.0.1:{server.server_port}"]
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 1
    assert "NAME_INVALID events: Event at index: [0] has invalid name" in result.output


def test_retention_purges_delivered_dead_and_recorded_requests(
    app_factory: AppFactory,
) -> None:
    app = app_factory(
        GA_ENDPOINT="dry-run", OUTBOX_RETENTION=7, DEAD_LETTER_RETENTION=30, FORWARDED_RETENTION=7
    )
    add_events(app, 3)
    forwarder(app).drain()
    old = utcnow() - timedelta(days=8)
    with app.app_context(), db.transaction() as session:
        first = session.scalars(sa.select(OutboxEvent).order_by(OutboxEvent.id)).first()
        assert first is not None
        first.sent_at = old
        session.execute(sa.update(ForwardedRequest).values(created_at=old))
        session.add(
            OutboxEvent(
                site="hottelecom",
                mode="event",
                event_json="{}",
                timestamp_micros=0,
                status="dead",
                sent_at=utcnow() - timedelta(days=31),
                available_at=old,
                created_at=old,
            )
        )
    runner = app.test_cli_runner()
    # `gateway purge` gets its app context from FlaskGroup; the test runner needs one pushed.
    with app.app_context():
        preview = runner.invoke(args=["purge", "--dry-run"])
        runner.invoke(args=["purge"])
    assert "delivered outbox events: 1 would be removed" in preview.output
    assert "dead-lettered outbox events: 1 would be removed" in preview.output
    assert "forwarded request records: 1 would be removed" in preview.output
    assert statuses(app) == {"dry_run": 2}
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(ForwardedRequest.id))).scalar() == 0


# ---------------------------------------------------------------- the real command


def test_forward_worker_stops_cleanly_on_sigterm(
    app_factory: AppFactory, fake_ga: FakeGA, database_url: str, tmp_path: Path
) -> None:
    app = app_factory(GA_ENDPOINT=fake_ga.url)
    add_events(app, 7)
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_SECRET_KEYS": "k" * 40,
        "GATEWAY_SITES_FILE": app.config["SITES_FILE"],
        "GATEWAY_GA_ENDPOINT": fake_ga.url,
        "GATEWAY_FORWARD_POLL_INTERVAL": "0.1",
    }
    gateway = Path(sys.executable).parent / "gateway"
    proc = subprocess.Popen(
        [str(gateway), "forward"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(fake_ga.accepted()) < 1:
            time.sleep(0.05)
        assert delivered_numbers(fake_ga) == Counter(range(7))
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert "SIGTERM: finishing the current request, then stopping" in output
    assert "events sent: 7" in output
    assert statuses(app) == {"sent": 7}


# ---------------------------------------------------------------- the GA stand-in


def test_fake_ga_faults_and_records_over_http(fake_ga: FakeGA) -> None:
    import requests

    session = requests.Session()
    assert session.post(f"{fake_ga.url}/_faults", json={"status": 429, "retry_after": 3}).ok
    first = session.post(f"{fake_ga.url}/mp/collect?measurement_id=G-X&api_secret=s", data="{}")
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "3"
    second = session.post(f"{fake_ga.url}/mp/collect?measurement_id=G-X&api_secret=s", data="{}")
    assert second.status_code == 204
    debug = session.post(f"{fake_ga.url}/debug/mp/collect", json={"client_id": "x", "events": []})
    codes = {m["validationCode"] for m in debug.json()["validationMessages"]}
    assert codes == {"VALUE_INVALID", "VALUE_REQUIRED"}
    recorded = session.get(f"{fake_ga.url}/_recorded").json()["requests"]
    assert [r["status"] for r in recorded] == [429, 204, 200]
    assert recorded[0]["query"] == {"measurement_id": "G-X", "api_secret": "s"}
    assert session.delete(f"{fake_ga.url}/_recorded").status_code == 204
    assert session.get(f"{fake_ga.url}/_recorded").json() == {"requests": []}
    assert session.post(f"{fake_ga.url}/_faults", data="nonsense").status_code == 400


def test_fake_ga_outage_ends_on_delete_faults(fake_ga: FakeGA) -> None:
    """An outage of unknown length: a large fault count, ended over HTTP when it is time."""
    import requests

    session = requests.Session()
    collect = f"{fake_ga.url}/mp/collect?measurement_id=G-X&api_secret=s"
    assert session.post(f"{fake_ga.url}/_faults", json={"status": 503, "times": 10**6}).ok
    assert [session.post(collect, data="{}").status_code for _ in range(3)] == [503] * 3
    assert session.delete(f"{fake_ga.url}/_faults").status_code == 204
    assert session.post(collect, data="{}").status_code == 204
    assert [r["status"] for r in session.get(f"{fake_ga.url}/_recorded").json()["requests"]] == [
        503,
        503,
        503,
        204,
    ]


def test_fault_specs_parse() -> None:
    assert Fault.parse("503:3") == Fault(status=503, times=3)
    assert Fault.parse("429:2:5") == Fault(status=429, times=2, retry_after=5)
    assert Fault.parse("hang:15") == Fault(status=503, times=1, hang=15.0)
    assert Fault.parse("hang:3:2:204") == Fault(status=204, times=2, hang=3.0)
    with pytest.raises(ValueError, match="bad fault"):
        Fault.parse("boom")


def test_partial_aggregate_requests_wait_for_the_next_claim_under_backlog(
    live_app: Flask, fake_ga: FakeGA
) -> None:
    # Interleaved sites: every claim of 60 holds 30 + 30, i.e. 25 + 5 per site.
    for i in range(300):
        add_events(live_app, 1, site=["hottelecom", "shop"][i % 2], mode="aggregate", start=i)
    result = forwarder(live_app, claim_limit=60).drain()
    assert result.pending_left == 0
    sizes = [len(r["body"]["events"]) for r in fake_ga.accepted()]
    assert sum(sizes) == 300
    assert sizes.count(25) >= 11  # without holding back: 10 full and 10 of 5
    assert len(sizes) <= 13
    assert delivered_numbers(fake_ga) == Counter(range(300))


def test_a_malformed_endpoint_is_refused_at_start(app_factory: AppFactory) -> None:
    app = app_factory(GA_ENDPOINT="region1.google-analytics.com")
    result = app.test_cli_runner().invoke(args=["forward", "--once"])
    assert result.exit_code == 1
    assert "expected dry-run or a base URL" in result.output
