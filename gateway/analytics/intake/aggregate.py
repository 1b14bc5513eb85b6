"""Closing aggregate windows: counts become GA events, and only k-anonymous ones.

``fold_buckets`` is pure: buckets with fewer than k events have their most
specific dimension replaced by ``(other)`` (page path first, then source,
medium, country and device category) and are merged; what is still under k
after every dimension has been folded is dropped.  So a rare page path, a rare
traffic source, a rare country or a rare device never leaves the gateway, and
every count that does is ≥ k.

``close_windows`` applies it to the windows that have ended and turns each
bucket into one outbox event in the same transaction that deletes the counts;
the window's page views, consented visitors' included, are folded the same way
into the gateway's own daily traffic figures (``gateway.analytics.traffic``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from gateway.analytics import traffic
from gateway.analytics.models import OUTBOX_PENDING, AggregateCount, OutboxEvent

OTHER = "(other)"
NOT_SET = "(not set)"
EPOCH = datetime(1970, 1, 1)
# The order in which dimensions are given up: the most identifying first.
FOLD_ORDER = ("page_path", "source", "medium", "country", "device_category")


class BucketKey(NamedTuple):
    """Where the intake counts an event: no identifier, only coarse dimensions."""

    window_start: datetime
    site: str
    event_name: str
    page_path: str
    country: str
    device_category: str
    source: str = ""
    medium: str = ""
    # A consented visitor's page view: counted for the traffic view only.
    consented: bool = False


def window_start(moment: datetime, window_seconds: int) -> datetime:
    """The start of the aggregate window holding ``moment`` (naive UTC)."""
    seconds = int((moment - EPOCH).total_seconds())
    return EPOCH + timedelta(seconds=seconds - seconds % max(window_seconds, 1))


BucketDims = tuple[str, str, str, str, str, str]


@dataclass(frozen=True)
class Bucket:
    event_name: str
    page_path: str
    country: str
    device_category: str
    count: int
    source: str = ""
    medium: str = ""
    engagement_msec: int = 0

    @property
    def key(self) -> BucketDims:
        return (
            self.event_name,
            self.page_path,
            self.source,
            self.medium,
            self.country,
            self.device_category,
        )


@dataclass(frozen=True)
class FoldResult:
    kept: list[Bucket]
    dropped_count: int  # events in buckets still under k after every fold


def _joined(seen: Bucket, bucket: Bucket) -> Bucket:
    return replace(
        seen,
        count=seen.count + bucket.count,
        engagement_msec=seen.engagement_msec + bucket.engagement_msec,
    )


def _merge(buckets: Iterable[Bucket]) -> dict[BucketDims, Bucket]:
    merged: dict[BucketDims, Bucket] = {}
    for bucket in buckets:
        seen = merged.get(bucket.key)
        merged[bucket.key] = bucket if seen is None else _joined(seen, bucket)
    return merged


def _generalize(bucket: Bucket, dimension: str) -> Bucket:
    if dimension == "page_path":
        return replace(bucket, page_path=OTHER)
    if dimension == "source":
        return replace(bucket, source=OTHER)
    if dimension == "medium":
        return replace(bucket, medium=OTHER)
    if dimension == "country":
        return replace(bucket, country=OTHER)
    return replace(bucket, device_category=OTHER)


def fold_buckets(buckets: Iterable[Bucket], k: int) -> FoldResult:
    """k-anonymous buckets: every bucket kept has a count of at least ``k``."""
    merged = _merge(b for b in buckets if b.count > 0)
    kept = {key: b for key, b in merged.items() if b.count >= k}
    rare = [b for b in merged.values() if b.count < k]
    for dimension in FOLD_ORDER:
        if not rare:
            break
        folded = _merge(_generalize(b, dimension) for b in rare)
        rare = []
        for key, bucket in folded.items():
            if key in kept:
                # Joining a bucket that is already ≥ k keeps it ≥ k.
                kept[key] = _joined(kept[key], bucket)
            elif bucket.count >= k:
                kept[key] = bucket
            else:
                rare.append(bucket)
    return FoldResult(
        kept=sorted(kept.values(), key=lambda b: b.key),
        dropped_count=sum(b.count for b in rare),
    )


def micros(moment: datetime) -> int:
    """Naive-UTC datetime → Unix microseconds."""
    return int(moment.replace(tzinfo=UTC).timestamp() * 1_000_000)


def bucket_event(bucket: Bucket, window_start: datetime, origin: str | None) -> dict[str, object]:
    """One GA event per bucket; its count travels as ``aggregated_count``.

    ``engagement_time_msec`` is the engaged time the bucket's events reported,
    summed (GA's minimum of 1 ms when they reported none); the forwarder adds a
    synthetic ``session_id``, new for every request.
    """
    params: dict[str, object] = {
        "page_path": bucket.page_path,
        "source": bucket.source or NOT_SET,
        "medium": bucket.medium or NOT_SET,
        "country": bucket.country or NOT_SET,
        "device_category": bucket.device_category or NOT_SET,
        "aggregated_count": bucket.count,
        "engagement_time_msec": max(bucket.engagement_msec, 1),
        "window_start": window_start.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if origin and bucket.page_path.startswith("/"):
        params["page_location"] = origin + bucket.page_path
    return {"name": bucket.event_name, "params": params}


PAGE_VIEW = "page_view"
ENGAGEMENT_EVENT = "page_engagement"


def traffic_buckets(buckets: Iterable[Bucket], k: int) -> FoldResult:
    """A window's page views per (page, source, medium, country, device), k-anonymous.

    Engaged time reported with the page views, and by the engagement events of
    the same dimensions, travels with the page views; engaged time of a page
    whose view fell into an earlier window is left out.
    """
    views: dict[BucketDims, Bucket] = {}
    engaged: dict[BucketDims, int] = defaultdict(int)
    for bucket in buckets:
        dims = replace(bucket, event_name=PAGE_VIEW).key
        if bucket.event_name == PAGE_VIEW:
            seen = views.get(dims)
            as_view = replace(bucket, engagement_msec=0)
            views[dims] = as_view if seen is None else _joined(seen, as_view)
        if bucket.event_name in (PAGE_VIEW, ENGAGEMENT_EVENT):
            engaged[dims] += bucket.engagement_msec
    return fold_buckets([replace(b, engagement_msec=engaged[dims]) for dims, b in views.items()], k)


@dataclass(frozen=True)
class CloseResult:
    windows: int
    events: int
    dropped_count: int


def _lock_for_writing(conn: Connection) -> None:
    """SQLite has no row locks: take the database write lock before reading the counts."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def close_windows(
    engine: Engine,
    now: datetime,
    window_seconds: int,
    k: int,
    origins: Mapping[str, str | None],
    flush: bool = False,
) -> CloseResult:
    """Fold and enqueue every window that has ended (every open one with ``flush``).

    Reading, enqueueing and deleting happen in one transaction, with the rows
    locked (``FOR UPDATE`` on PostgreSQL, the write lock on SQLite), so two
    workers closing at once cannot both send a window.
    """
    cutoff = now - timedelta(seconds=window_seconds)
    query = sa.select(AggregateCount).order_by(AggregateCount.id)
    if not flush:
        query = query.where(AggregateCount.window_start <= cutoff)
    with engine.connect() as conn:
        _lock_for_writing(conn)
        rows = conn.execute(query.with_for_update()).mappings().all()
        groups: dict[tuple[datetime, str], list[Bucket]] = defaultdict(list)
        consented: dict[tuple[datetime, str], list[Bucket]] = defaultdict(list)
        for row in rows:
            bucket = Bucket(
                row["event_name"],
                row["page_path"],
                row["country"],
                row["device_category"],
                row["count"],
                row["source"],
                row["medium"],
                row["engagement_msec"] or 0,
            )
            key = (row["window_start"], row["site"])
            (consented if row["consented"] else groups)[key].append(bucket)
        events = dropped = 0
        for window_key in sorted(set(groups) | set(consented)):
            views = traffic_buckets([*groups[window_key], *consented[window_key]], k)
            traffic.add_views(conn, window_key[1], window_key[0].date(), views.kept)
        for (window_start, site), buckets in sorted(groups.items()):
            if not buckets:
                continue
            result = fold_buckets(buckets, k)
            dropped += result.dropped_count
            values = [
                {
                    "site": site,
                    "mode": "aggregate",
                    "client_id": None,
                    "user_location_json": None,
                    "device_json": None,
                    "event_json": json.dumps(
                        bucket_event(b, window_start, origins.get(site)), ensure_ascii=False
                    ),
                    "timestamp_micros": micros(window_start),
                    "status": OUTBOX_PENDING,
                    "attempts": 0,
                    "available_at": now,
                    "created_at": now,
                }
                for b in result.kept
            ]
            if values:
                conn.execute(sa.insert(OutboxEvent), values)
            events += len(values)
        ids = [row["id"] for row in rows]
        for start in range(0, len(ids), 500):
            conn.execute(
                sa.delete(AggregateCount).where(AggregateCount.id.in_(ids[start : start + 500]))
            )
        conn.commit()
    return CloseResult(windows=len(groups), events=events, dropped_count=dropped)
