"""Aggregate buckets: the window an event falls in, and k-anonymous folding.

Pure functions. The intake counts each event without any identifier in a
bucket ``(window, site, event name, page path, country, device category)``;
before a window is forwarded, buckets smaller than k are folded step by step
into coarser ``(other)`` buckets, and whatever still stays under k is
suppressed rather than sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

OTHER = "(other)"
EPOCH = datetime(1970, 1, 1)


class BucketKey(NamedTuple):
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
class FoldResult:
    buckets: dict[BucketKey, int]
    suppressed: int


def _coarser(key: BucketKey, level: int) -> BucketKey:
    if level == 1:
        return key._replace(page_path=OTHER)
    return key._replace(page_path=OTHER, country=OTHER, device_category=OTHER)


def fold_small_buckets(counts: Mapping[BucketKey, int], min_count: int) -> FoldResult:
    """Buckets under ``min_count`` folded into ``(other)``; the rest suppressed.

    First the page path is folded, then country and device category too. A
    bucket that is still under k after both steps is not sent: its count is
    returned as ``suppressed`` so it can be reported, never linked to a page.
    """
    result: Counter[BucketKey] = Counter()
    pending: Counter[BucketKey] = Counter()
    for key, count in counts.items():
        if count >= min_count:
            result[key] += count
        elif count > 0:
            pending[key] += count
    for level in (1, 2):
        folded: Counter[BucketKey] = Counter()
        for key, count in pending.items():
            folded[_coarser(key, level)] += count
        pending = Counter()
        for key, count in folded.items():
            # A folded bucket may coincide with an existing large one: merge.
            if count >= min_count or key in result:
                result[key] += count
            else:
                pending[key] += count
    return FoldResult(dict(result), sum(pending.values()))
