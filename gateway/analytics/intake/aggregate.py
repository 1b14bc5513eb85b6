"""Closing aggregate windows: counts become GA events, and only k-anonymous ones.

``fold_buckets`` is pure: buckets with fewer than k events have their most
specific dimension replaced by ``(other)`` (page path first, then country,
then device category) and are merged; what is still under k after every
dimension has been folded is dropped.  So a rare page path, a rare country or
a rare device never leaves the gateway, and every count that does is ≥ k.

``close_windows`` applies it to the windows that have ended and turns each
bucket into one outbox event in the same transaction that deletes the counts.
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

from gateway.analytics.models import OUTBOX_PENDING, AggregateCount, OutboxEvent

OTHER = "(other)"
NOT_SET = "(not set)"
EPOCH = datetime(1970, 1, 1)
# The order in which dimensions are given up: the most identifying first.
FOLD_ORDER = ("page_path", "country", "device_category")


class BucketKey(NamedTuple):
    """Where the intake counts an event: no identifier, only coarse dimensions."""

    window_start: datetime
    site: str
    event_name: str
    page_path: str
    country: str
    device_category: str


def window_start(moment: datetime, window_seconds: int) -> datetime:
    """The start of the aggregate window holding ``moment`` (naive UTC)."""
    seconds = int((moment - EPOCH).total_seconds())
    return EPOCH + timedelta(seconds=seconds - seconds % max(window_seconds, 1))


@dataclass(frozen=True)
class Bucket:
    event_name: str
    page_path: str
    country: str
    device_category: str
    count: int

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.event_name, self.page_path, self.country, self.device_category)


@dataclass(frozen=True)
class FoldResult:
    kept: list[Bucket]
    dropped_count: int  # events in buckets still under k after every fold


def _merge(buckets: Iterable[Bucket]) -> dict[tuple[str, str, str, str], Bucket]:
    merged: dict[tuple[str, str, str, str], Bucket] = {}
    for bucket in buckets:
        seen = merged.get(bucket.key)
        merged[bucket.key] = (
            bucket if seen is None else replace(seen, count=seen.count + bucket.count)
        )
    return merged


def _generalize(bucket: Bucket, dimension: str) -> Bucket:
    if dimension == "page_path":
        return replace(bucket, page_path=OTHER)
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
                kept[key] = replace(kept[key], count=kept[key].count + bucket.count)
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
    """One GA event per bucket; its count travels as ``aggregated_count``."""
    params: dict[str, object] = {
        "page_path": bucket.page_path,
        "country": bucket.country or NOT_SET,
        "device_category": bucket.device_category or NOT_SET,
        "aggregated_count": bucket.count,
        "window_start": window_start.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if origin and bucket.page_path.startswith("/"):
        params["page_location"] = origin + bucket.page_path
    return {"name": bucket.event_name, "params": params}


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
        for row in rows:
            groups[(row["window_start"], row["site"])].append(
                Bucket(
                    row["event_name"],
                    row["page_path"],
                    row["country"],
                    row["device_category"],
                    row["count"],
                )
            )
        events = dropped = 0
        for (window_start, site), buckets in sorted(groups.items()):
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
