"""Aggregate windows: the fold is k-anonymous, and closing a window is atomic."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.analytics.intake.aggregate import OTHER, Bucket, close_windows, fold_buckets, micros
from gateway.analytics.models import AggregateCount, OutboxEvent
from gateway.extensions import db
from gateway.timeutil import utcnow


def b(
    path: str, count: int, country: str = "RU", device: str = "desktop", name: str = "page_view"
) -> Bucket:
    return Bucket(name, path, country, device, count)


def test_buckets_at_k_are_kept_as_they_are() -> None:
    result = fold_buckets([b("/a", 5), b("/b", 9)], k=5)
    assert result.kept == [b("/a", 5), b("/b", 9)]
    assert result.dropped_count == 0


def test_rare_paths_fold_into_other_and_never_leave() -> None:
    result = fold_buckets([b("/tariffs", 50), b("/u/ivan", 1), b("/u/olga", 2), b("/u/petr", 3)], 5)
    paths = {x.page_path for x in result.kept}
    assert paths == {"/tariffs", OTHER}
    assert [x.count for x in result.kept if x.page_path == OTHER] == [6]


def test_a_folded_bucket_still_under_k_folds_country_then_device() -> None:
    buckets = [
        b("/a", 10),
        b("/rare1", 2, country="DE"),
        b("/rare2", 2, country="FR"),
        b("/rare3", 1, country="US", device="tablet"),
    ]
    result = fold_buckets(buckets, 5)
    keys = {(x.page_path, x.country, x.device_category): x.count for x in result.kept}
    # Path folded: DE 2, FR 2, US 1; country folded: desktop 4, tablet 1; device folded: 5.
    assert keys == {("/a", "RU", "desktop"): 10, (OTHER, OTHER, OTHER): 5}
    assert sum(x.count for x in result.kept) + result.dropped_count == 15


def test_what_stays_under_k_after_every_fold_is_dropped() -> None:
    result = fold_buckets([b("/a", 10), b("/x", 1, name="rare_event")], 5)
    assert result.kept == [b("/a", 10)]
    assert result.dropped_count == 1


def test_fold_joins_an_existing_bucket_that_is_already_other() -> None:
    result = fold_buckets([b(OTHER, 7), b("/x", 1)], 5)
    assert result.kept == [b(OTHER, 8)]


bucket_strategy = st.builds(
    Bucket,
    st.sampled_from(["page_view", "click", "download"]),
    st.sampled_from([f"/p{i}" for i in range(8)]),
    st.sampled_from(["RU", "DE", "KZ", ""]),
    st.sampled_from(["desktop", "mobile", "tablet"]),
    st.integers(min_value=0, max_value=12),
)


@given(st.lists(bucket_strategy, max_size=60), st.integers(min_value=1, max_value=10))
@settings(max_examples=300, deadline=None)
def test_fold_is_k_anonymous_and_accounts_for_every_event(buckets: list[Bucket], k: int) -> None:
    result = fold_buckets(buckets, k)
    # k-anonymity: no bucket that leaves has fewer than k events.
    assert all(x.count >= k for x in result.kept)
    # Nothing invented, nothing lost without being counted.
    assert sum(x.count for x in result.kept) + result.dropped_count == sum(x.count for x in buckets)
    assert len({x.key for x in result.kept}) == len(result.kept)
    # A dimension value only leaves with at least k events of its own behind it.
    for dimension in ("page_path", "country", "device_category"):
        totals: dict[tuple[str, str], int] = defaultdict(int)
        for x in buckets:
            totals[(x.event_name, getattr(x, dimension))] += x.count
        for x in result.kept:
            value = getattr(x, dimension)
            if value != OTHER:
                assert totals[(x.event_name, value)] >= k
    # Each kept bucket with a specific path is exactly the sum of its inputs.
    for x in result.kept:
        if OTHER not in (x.page_path, x.country, x.device_category):
            assert x.count == sum(y.count for y in buckets if y.key == x.key)


# ---------------------------------------------------------------- closing windows


def _count(app: Flask, window: datetime, path: str, count: int, country: str = "RU") -> None:
    with app.app_context(), db.transaction() as session:
        session.add(
            AggregateCount(
                window_start=window,
                site="hottelecom",
                event_name="page_view",
                page_path=path,
                country=country,
                device_category="desktop",
                count=count,
            )
        )


def _outbox(app: Flask) -> list[OutboxEvent]:
    with app.app_context():
        return list(db.session.scalars(sa.select(OutboxEvent).order_by(OutboxEvent.id)))


def test_closing_turns_ended_windows_into_outbox_events(app: Flask) -> None:
    now = utcnow().replace(microsecond=0)
    ended = (now - timedelta(hours=2)).replace(minute=0, second=0)
    current = now.replace(minute=0, second=0)
    _count(app, ended, "/tariffs", 12)
    _count(app, ended, "/u/ivan-petrov", 1)
    _count(app, ended, "/u/olga", 1)
    _count(app, current, "/open-window", 30)
    with app.app_context():
        result = close_windows(
            db.engine, now, 3600, 5, {"hottelecom": "https://hottelecom.example"}
        )
    assert (result.windows, result.events, result.dropped_count) == (1, 1, 2)
    events = _outbox(app)
    assert len(events) == 1
    event = events[0]
    assert (event.mode, event.client_id, event.status) == ("aggregate", None, "pending")
    assert event.timestamp_micros == micros(ended)
    payload = json.loads(event.event_json)
    assert payload == {
        "name": "page_view",
        "params": {
            "page_path": "/tariffs",
            "source": "(not set)",
            "medium": "(not set)",
            "country": "RU",
            "device_category": "desktop",
            "aggregated_count": 12,
            "engagement_time_msec": 1,
            "window_start": ended.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "page_location": "https://hottelecom.example/tariffs",
        },
    }
    assert "ivan" not in json.dumps([e.event_json for e in events])
    with app.app_context():
        left = db.session.execute(sa.select(AggregateCount.page_path)).scalars().all()
    assert left == ["/open-window"]  # the open window is untouched, the closed one gone


def test_flush_closes_open_windows_too(app: Flask) -> None:
    now = utcnow()
    _count(app, now.replace(minute=0, second=0, microsecond=0), "/open", 6)
    with app.app_context():
        result = close_windows(db.engine, now, 3600, 5, {}, flush=True)
        assert db.session.execute(sa.select(sa.func.count(AggregateCount.id))).scalar() == 0
    assert result.events == 1
    params = json.loads(_outbox(app)[0].event_json)["params"]
    assert "page_location" not in params  # no origin known: no made-up URL
    assert params["aggregated_count"] == 6


def test_workers_closing_the_same_window_at_once_enqueue_it_once(app: Flask) -> None:
    import threading

    now = utcnow().replace(microsecond=0)
    ended = (now - timedelta(hours=2)).replace(minute=0, second=0)
    for i in range(20):
        _count(app, ended, f"/page/{i}", 5 + i)
    with app.app_context():
        engine = db.engine
    results = []
    errors: list[BaseException] = []

    def close() -> None:
        try:
            results.append(close_windows(engine, now, 3600, 5, {}))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=close) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(r.events for r in results) == [0, 0, 0, 20]
    assert len(_outbox(app)) == 20
