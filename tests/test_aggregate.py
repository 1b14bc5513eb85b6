"""Aggregate windows and k-anonymous folding (pure functions)."""

from __future__ import annotations

from datetime import datetime

from gateway.analytics.aggregate import OTHER, BucketKey, fold_small_buckets, window_start

W = datetime(2026, 11, 25, 12, 0)


def key(
    path: str, country: str = "RU", device: str = "desktop", name: str = "page_view"
) -> BucketKey:
    return BucketKey(W, "hottelecom", name, path, country, device)


def test_window_start_floors_to_the_window() -> None:
    assert window_start(datetime(2026, 11, 25, 12, 59, 59, 999), 3600) == W
    assert window_start(datetime(2026, 11, 25, 13, 0), 3600) == datetime(2026, 11, 25, 13, 0)
    assert window_start(datetime(2026, 11, 25, 12, 7, 30), 300) == datetime(2026, 11, 25, 12, 5)


def test_large_buckets_are_kept_as_they_are() -> None:
    result = fold_small_buckets({key("/a"): 5, key("/b"): 9}, 5)
    assert result.buckets == {key("/a"): 5, key("/b"): 9}
    assert result.suppressed == 0


def test_small_buckets_fold_their_page_first() -> None:
    counts = {key("/a"): 10, key("/rare-1"): 2, key("/rare-2"): 2, key("/rare-3"): 1}
    result = fold_small_buckets(counts, 5)
    assert result.buckets == {key("/a"): 10, key(OTHER): 5}
    assert result.suppressed == 0


def test_then_country_and_device() -> None:
    counts = {
        key("/x", "RU", "desktop"): 2,
        key("/y", "KZ", "mobile"): 2,
        key("/z", "BY", "tablet"): 1,
    }
    result = fold_small_buckets(counts, 5)
    assert result.buckets == {key(OTHER, OTHER, OTHER): 5}
    assert result.suppressed == 0


def test_what_stays_under_k_is_suppressed_not_sent() -> None:
    counts = {key("/a"): 7, key("/lonely", "KZ", "mobile", name="sign_up"): 1}
    result = fold_small_buckets(counts, 5)
    assert result.buckets == {key("/a"): 7}
    assert result.suppressed == 1
    assert all(count >= 5 for count in result.buckets.values())


def test_every_event_is_kept_or_suppressed_never_lost() -> None:
    counts = {
        key(f"/p{i}", c, d): (i % 4) + 1
        for i in range(30)
        for c in ("RU", "KZ")
        for d in ("desktop", "mobile")
    }
    result = fold_small_buckets(counts, 5)
    assert sum(result.buckets.values()) + result.suppressed == sum(counts.values())
    assert all(count >= 5 for count in result.buckets.values())
