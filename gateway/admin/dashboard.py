"""The dashboard's building blocks: a date range, and panels each face contributes.

A panel source is a plain function ``(session, DateRange, site or None, language) -> Panel``
registered by its face, which writes the panel's words in that language ("ru" or "en");
the dashboard view and ``gateway stats`` show them all,
the first as SVG charts with tables, the second as text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session

from gateway.admin.charts import Series

PANELS_KEY = "gateway.dashboard_panels"
ATTENTION_KEY = "gateway.dashboard_attention"
DEFAULT_DAYS = 14
MAX_DAYS = 366


class RangeError(ValueError):
    """A date range a person typed that cannot be used; the message says why in English
    (for the command line); ``code`` and ``params`` let a page say it in its reader's
    language (gateway.admin.pages)."""

    def __init__(self, message: str, code: str = "", **params: object) -> None:
        super().__init__(message)
        self.code = code  # "format", "order" or "length"
        self.params = params


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        shown = value[:32]
        raise RangeError(
            f"{shown!r} is not a date; dates are written YYYY-MM-DD", "format", value=shown
        ) from exc


def parse_range(start: str | None, end: str | None, today: date) -> DateRange:
    """``?from=YYYY-MM-DD&to=YYYY-MM-DD``; missing parts default to the last 14 days."""
    end_day = _day(end) if end else today
    start_day = _day(start) if start else end_day - timedelta(DEFAULT_DAYS - 1)
    if start_day > end_day:
        raise RangeError(
            f"the range starts after it ends ({start_day} is after {end_day})",
            "order",
            start=start_day,
            end=end_day,
        )
    days = (end_day - start_day).days + 1
    if days > MAX_DAYS:
        raise RangeError(
            f"a range covers at most {MAX_DAYS} days ({start_day} to {end_day} is {days})",
            "length",
            start=start_day,
            end=end_day,
            days=days,
        )
    return DateRange(start_day, end_day)


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    tone: str = ""  # "", "bad", "warn" or "ok": how the number should catch the eye


@dataclass(frozen=True)
class Table:
    """Numbers behind a chart, for people who read rather than look."""

    caption: str
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]


@dataclass(frozen=True)
class Panel:
    id: str
    title: str
    figures: Sequence[Figure] = ()
    charts: Sequence[str] = ()  # SVG markup made by gateway.admin.charts
    headers: Sequence[str] = ()
    rows: Sequence[Sequence[str]] = field(default_factory=tuple)
    note: str = ""
    # (label, endpoint) pairs: where to go from the panel (e.g. the request queue).
    links: Sequence[tuple[str, str]] = ()
    # The data of the charts, shown folded under them and printed by `gateway stats --days`.
    tables: Sequence[Table] = ()


# (session, range, site or None, language) -> the panel, its words in that language.
PanelBuilder = Callable[[Session, DateRange, "str | None", str], Panel]


@dataclass(frozen=True)
class PanelSource:
    order: int
    build: PanelBuilder


def register_panel(app: Flask, order: int, build: PanelBuilder) -> None:
    app.extensions.setdefault(PANELS_KEY, []).append(PanelSource(order, build))


def panel_sources(app: Flask) -> list[PanelSource]:
    return sorted(app.extensions.get(PANELS_KEY, []), key=lambda source: source.order)


@dataclass(frozen=True)
class Attention:
    """Something a person must act on, whatever date range the dashboard shows."""

    text: str  # a whole sentence, in the language it was asked for
    tone: str = "bad"  # "bad" or "warn"
    endpoint: str = ""  # the page where it is dealt with


# (session, now, site or None, language) -> what needs attention now.
AttentionCheck = Callable[[Session, datetime, "str | None", str], Sequence[Attention]]


def register_attention(app: Flask, check: AttentionCheck) -> None:
    """A face's own 'needs attention' check (the forwarder, the mail queue, …)."""
    app.extensions.setdefault(ATTENTION_KEY, []).append(check)


def attention_checks(app: Flask) -> list[AttentionCheck]:
    return list(app.extensions.get(ATTENTION_KEY, []))


def series_table(
    caption: str,
    first: str,
    rows: Sequence[tuple[str, Mapping[str, float]]],
    series: Sequence[Series],
    total: str = "total",
) -> Table:
    """A chart's rows as a table: one line per row, one column per series, and a total."""

    def fmt(value: float) -> str:
        return str(int(value)) if float(value).is_integer() else f"{value:.1f}"

    body = [
        (
            label,
            *(fmt(values.get(s.key, 0)) for s in series),
            fmt(sum(values.get(s.key, 0) for s in series)),
        )
        for label, values in rows
    ]
    return Table(caption, (first, *(s.label for s in series), total), body)


def percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"
