"""Aggregate windows (pure). Folding into (other) is tested in test_aggregate_windows.py."""

from __future__ import annotations

from datetime import datetime

from gateway.analytics.intake.aggregate import window_start

W = datetime(2026, 11, 25, 12, 0)


def test_window_start_floors_to_the_window() -> None:
    assert window_start(datetime(2026, 11, 25, 12, 59, 59, 999), 3600) == W
    assert window_start(datetime(2026, 11, 25, 13, 0), 3600) == datetime(2026, 11, 25, 13, 0)
    assert window_start(datetime(2026, 11, 25, 12, 7, 30), 300) == datetime(2026, 11, 25, 12, 5)
