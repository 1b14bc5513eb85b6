"""The gateway's own traffic figures, read by /admin/traffic and ``gateway traffic``.

Only k-anonymous counts are kept: when an aggregate window closes, its page views
(of every visitor, with or without consent) are folded like the buckets sent to
GA, so that each (page, source, medium, country, device) row counts at least k
page views, and added to that day's row in ``traffic_days``. Every figure shown
is a sum of such rows, so none is finer than k. Nothing here depends on GA: the
figures are there in dry-run from the first closed window on.

Plain functions on a connection or session; no request, no g.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gateway.analytics.models import TrafficDay

TOP_ROWS = 20
DIMENSIONS = ("page_path", "source_medium", "country", "device_category")
NOT_SET = "(not set)"


class ViewBucket(Protocol):
    """A folded bucket of page views (gateway.analytics.intake.aggregate.Bucket)."""

    @property
    def page_path(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def medium(self) -> str: ...
    @property
    def country(self) -> str: ...
    @property
    def device_category(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def engagement_msec(self) -> int: ...


def add_views(conn: Connection, site: str, day: date, buckets: Iterable[ViewBucket]) -> int:
    """Add a closed window's folded page views to the day's rows (inside the caller's
    transaction, so a window is counted exactly when its counts are deleted)."""
    rows = [
        {
            "day": day,
            "site": site,
            "page_path": b.page_path[:1000],
            "source": (b.source or NOT_SET)[:100],
            "medium": (b.medium or NOT_SET)[:100],
            "country": (b.country or "")[:8],
            "device_category": (b.device_category or "")[:16],
            "views": b.count,
            "engagement_msec": b.engagement_msec,
        }
        for b in buckets
        if b.count > 0
    ]
    if not rows:
        return 0
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert(TrafficDay)
    statement = statement.on_conflict_do_update(
        index_elements=[
            "day",
            "site",
            "page_path",
            "source",
            "medium",
            "country",
            "device_category",
        ],
        set_={
            "views": TrafficDay.views + statement.excluded.views,
            "engagement_msec": TrafficDay.engagement_msec + statement.excluded.engagement_msec,
        },
    )
    # Sorted, so concurrent closers lock rows in the same order.
    for row in sorted(rows, key=lambda r: tuple(str(v) for v in r.values())):
        conn.execute(statement, row)
    return len(rows)


@dataclass(frozen=True)
class Line:
    """One row of a breakdown: what, page views, share of the period, engaged seconds."""

    label: str
    views: int
    share: float
    engaged_seconds: float


@dataclass
class TrafficReport:
    start: date
    end: date
    site: str | None
    days: list[tuple[str, int]] = field(default_factory=list)
    total: int = 0
    engaged_seconds: float = 0.0  # per page view
    breakdowns: dict[str, list[Line]] = field(default_factory=dict)
    # Rows beyond TOP_ROWS of each breakdown, folded into one line.
    more: dict[str, int] = field(default_factory=dict)


def _label(dimension: str, row: Sequence[str]) -> str:
    if dimension == "source_medium":
        return f"{row[0]} / {row[1]}"
    value = row[0]
    if dimension == "country":
        return value or "(unknown)"
    return value or NOT_SET


def traffic_report(session: Session, start: date, end: date, site: str | None) -> TrafficReport:
    """Page views per day and by page, source / medium, country and device category."""
    scope = [TrafficDay.day >= start, TrafficDay.day <= end]
    if site:
        scope.append(TrafficDay.site == site)
    report = TrafficReport(start, end, site)
    per_day = dict(
        session.execute(
            sa.select(TrafficDay.day, sa.func.sum(TrafficDay.views))
            .where(*scope)
            .group_by(TrafficDay.day)
        ).all()
    )
    day = start
    while day <= end:
        report.days.append((day.isoformat(), int(per_day.get(day, 0) or 0)))
        day = date.fromordinal(day.toordinal() + 1)
    report.total = sum(views for _, views in report.days)
    engaged = session.scalar(sa.select(sa.func.sum(TrafficDay.engagement_msec)).where(*scope))
    report.engaged_seconds = (int(engaged or 0) / 1000 / report.total) if report.total else 0.0
    columns = {
        "page_path": (TrafficDay.page_path,),
        "source_medium": (TrafficDay.source, TrafficDay.medium),
        "country": (TrafficDay.country,),
        "device_category": (TrafficDay.device_category,),
    }
    for dimension, cols in columns.items():
        found = session.execute(
            sa.select(*cols, sa.func.sum(TrafficDay.views), sa.func.sum(TrafficDay.engagement_msec))
            .where(*scope)
            .group_by(*cols)
        ).all()
        merged: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in found:
            label = _label(dimension, [str(v) for v in row[: len(cols)]])
            merged[label][0] += int(row[-2] or 0)
            merged[label][1] += int(row[-1] or 0)
        ordered = sorted(merged.items(), key=lambda item: (-item[1][0], item[0]))
        report.breakdowns[dimension] = [
            Line(
                label,
                views,
                views / report.total if report.total else 0.0,
                engaged / 1000 / views if views else 0.0,
            )
            for label, (views, engaged) in ordered[:TOP_ROWS]
        ]
        report.more[dimension] = sum(views for _, (views, _e) in ordered[TOP_ROWS:])
    return report


DIMENSION_HEADERS = {
    "day": "day",
    "page_path": "page",
    "source_medium": "source / medium",
    "country": "country",
    "device_category": "device category",
}


def report_csv(report: TrafficReport) -> str:
    """Every figure of the report as CSV: ``breakdown,value,page_views,share,engaged_seconds``.

    Cells that a spreadsheet would run as a formula are prefixed with ``'``.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["breakdown", "value", "page_views", "share", "engaged_seconds_per_view"])
    for day, views in report.days:
        share = views / report.total if report.total else 0.0
        writer.writerow(["day", day, views, f"{share:.4f}", ""])
    for dimension in DIMENSIONS:
        for line in report.breakdowns.get(dimension, []):
            writer.writerow(
                [
                    dimension,
                    _safe_cell(line.label),
                    line.views,
                    f"{line.share:.4f}",
                    f"{line.engaged_seconds:.1f}",
                ]
            )
        if report.more.get(dimension):
            writer.writerow([dimension, "(more)", report.more[dimension], "", ""])
    return out.getvalue()


def _safe_cell(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def report_text(report: TrafficReport) -> str:
    """The report for a terminal."""
    scope = report.site or "all sites"
    lines = [
        f"Traffic {report.start} to {report.end}, {scope}: {report.total} page views"
        + (f", {report.engaged_seconds:.1f} s engaged per view" if report.total else ""),
    ]
    if not report.total:
        lines.append(
            "No page views yet: figures appear when an aggregate window closes "
            "(`gateway forward` closes them; `--once --flush` closes the open ones now)."
        )
        return "\n".join(lines) + "\n"
    lines.append("")
    lines.append("page views per day")
    for day, views in report.days:
        lines.append(f"  {day}  {views:>8}")
    for dimension in DIMENSIONS:
        lines.append("")
        lines.append(f"{DIMENSION_HEADERS[dimension]:<50} {'views':>8} {'share':>7} {'s/view':>7}")
        for line in report.breakdowns.get(dimension, []):
            lines.append(
                f"  {line.label[:48]:<48} {line.views:>8} {line.share:>7.1%} "
                f"{line.engaged_seconds:>7.1f}"
            )
        if report.more.get(dimension):
            lines.append(f"  {'(more)':<48} {report.more[dimension]:>8}")
    return "\n".join(lines) + "\n"
