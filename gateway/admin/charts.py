"""Charts drawn on the server as SVG: no script, no CDN, nothing the CSP must allow.

Pure functions: data in, SVG markup out. Every chart is also given to people
as a table beside it; the SVG carries a title and description for screen readers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

# Room above the plot for the chart's visible title.
TOP = 30
PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#64748b")


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str = ""  # empty: the next colour of PALETTE


MAX_TICKS = 5  # gridlines above zero, at most


def _step(raw: float) -> float:
    """The smallest whole 1, 2, 2.5 or 5 times a power of ten at or above ``raw``."""
    magnitude = 1
    while True:
        for factor in (1, 2, 2.5, 5):
            step = factor * magnitude
            if step >= raw and float(step).is_integer():
                return float(step)
        magnitude *= 10


def _axis(value: float, fixed_max: float | None = None) -> tuple[float, float]:
    """(axis maximum, tick step): ticks are whole numbers (no 0.25 of a request)."""
    if fixed_max is not None:
        return fixed_max, _step(fixed_max / 4)
    if value <= 0:
        return 1.0, 1.0
    step = _step(value / MAX_TICKS)
    return step * math.ceil(value / step), step


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def stacked_bars(
    title: str,
    rows: Sequence[tuple[str, Mapping[str, float]]],
    series: Sequence[Series],
    *,
    width: int = 640,
    height: int = 220,
    tick_chars: int = 5,
) -> str:
    """Stacked bars, one per row (e.g. per day), one colour per series, with a legend.

    Tick labels keep the last ``tick_chars`` characters (``11-24`` of a date)."""
    left, right, top, bottom = 44, 8, TOP, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values.get(s.key, 0) for s in series) for _, values in rows]
    axis_max, tick = _axis(max(totals, default=0))
    parts = [_open(title, width, height, _summary(rows, series))]
    parts.extend(_y_axis(axis_max, tick, left, top, plot_w, plot_h))
    if rows:
        slot = plot_w / len(rows)
        bar_w = max(2.0, min(36.0, slot * 0.7))
        for index, (label, values) in enumerate(rows):
            x = left + index * slot + (slot - bar_w) / 2
            y = float(top + plot_h)
            for colour, s in _coloured(series):
                value = values.get(s.key, 0)
                if value <= 0:
                    continue
                h = plot_h * value / axis_max
                y -= h
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                    f'fill="{colour}"><title>{escape(label)} · {escape(s.label)}: '
                    f"{_fmt(value)}</title></rect>"
                )
            if len(rows) <= 16 or index % max(1, len(rows) // 8) == 0:
                parts.append(
                    f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 14}" '
                    f'text-anchor="middle" class="tick">{escape(label[-tick_chars:])}</text>'
                )
    else:
        parts.append(_empty(left, top, plot_w, plot_h))
    parts.extend(_legend(series, left, height - 14))
    parts.append("</svg>")
    return "".join(parts)


def lines(
    title: str,
    rows: Sequence[tuple[str, Mapping[str, float]]],
    series: Sequence[Series],
    *,
    width: int = 640,
    height: int = 220,
    max_value: float | None = None,
    unit: str = "",
) -> str:
    """One line per series across rows (e.g. acceptance rate per category per day)."""
    # The last point sits on the right edge: room for its centred day label.
    left, right, top, bottom = 44, 24, TOP, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((v.get(s.key, 0) for _, v in rows for s in series), default=0)
    axis_max, tick = _axis(peak, max_value)
    parts = [_open(title, width, height, _summary(rows, series, unit))]
    parts.extend(_y_axis(axis_max, tick, left, top, plot_w, plot_h, unit))
    if rows:
        step = plot_w / max(1, len(rows) - 1)
        for colour, s in _coloured(series):
            points = []
            for index, (label, values) in enumerate(rows):
                if s.key not in values:
                    continue
                x = left + (index * step if len(rows) > 1 else plot_w / 2)
                y = top + plot_h - plot_h * values[s.key] / axis_max
                points.append((x, y, label, values[s.key]))
            if not points:
                continue
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
            for x, y, label, value in points:
                parts.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                    f"<title>{escape(label)} · {escape(s.label)}: {_fmt(value)}{unit}</title>"
                    "</circle>"
                )
        for index, (label, _) in enumerate(rows):
            if len(rows) <= 16 or index % max(1, len(rows) // 8) == 0:
                x = left + (index * step if len(rows) > 1 else plot_w / 2)
                parts.append(
                    f'<text x="{x:.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
                    f'class="tick">{escape(label[-5:])}</text>'
                )
    else:
        parts.append(_empty(left, top, plot_w, plot_h))
    parts.extend(_legend(series, left, height - 14))
    parts.append("</svg>")
    return "".join(parts)


def ranked_bars(
    title: str,
    rows: Sequence[tuple[str, float]],
    *,
    colour: str = PALETTE[0],
    width: int = 640,
    label_chars: int = 34,
) -> str:
    """Horizontal bars, one per row, longest first (e.g. page views per page).

    Labels longer than ``label_chars`` are cut with "…"; the full label and the
    value are in each bar's tooltip and in the table beside the chart."""
    row_h, top, left, right = 22, TOP, 8 + 6.6 * label_chars, 56
    height = top + max(len(rows), 1) * row_h + 8
    plot_w = width - left - right
    peak = max((value for _, value in rows), default=0)
    summary = "; ".join(f"{label}: {_fmt(value)}" for label, value in rows[:10]) or "no data"
    parts = [_open(title, width, int(height), summary)]
    if not rows:
        parts.append(_empty(int(left), top, int(plot_w), row_h * 2))
    for index, (label, value) in enumerate(rows):
        y = top + index * row_h
        shown = label if len(label) <= label_chars else label[: label_chars - 1] + "…"
        w = plot_w * value / peak if peak else 0
        parts.append(
            f'<text x="{left - 6:.0f}" y="{y + 15}" text-anchor="end" class="tick">'
            f"{escape(shown)}</text>"
            f'<rect x="{left:.0f}" y="{y + 4}" width="{max(w, 1):.1f}" height="{row_h - 8}" '
            f'fill="{colour}"><title>{escape(label)}: {_fmt(value)}</title></rect>'
            f'<text x="{left + w + 4:.1f}" y="{y + 15}" class="tick">{_fmt(value)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _coloured(series: Sequence[Series]) -> list[tuple[str, Series]]:
    return [(s.colour or PALETTE[i % len(PALETTE)], s) for i, s in enumerate(series)]


def _open(title: str, width: int, height: int, description: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" class="chart" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>"
        f'<text x="4" y="16" class="chart-title">{escape(title)}</text>'
    )


def _y_axis(
    axis_max: float, tick: float, left: int, top: int, plot_w: int, plot_h: int, unit: str = ""
) -> list[str]:
    parts = []
    count = round(axis_max / tick)
    for index in range(count + 1):
        fraction = index * tick / axis_max
        y = top + plot_h - plot_h * fraction
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
            f"{_fmt(axis_max * fraction)}{escape(unit)}</text>"
        )
    return parts


def _legend(series: Sequence[Series], left: int, y: int) -> list[str]:
    parts, x = [], float(left)
    for colour, s in _coloured(series):
        parts.append(
            f'<rect x="{x:.0f}" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14:.0f}" y="{y}" class="legend">{escape(s.label)}</text>'
        )
        x += 24 + 7 * len(s.label)
    return parts


def _empty(left: int, top: int, plot_w: int, plot_h: int) -> str:
    return (
        f'<text x="{left + plot_w / 2:.0f}" y="{top + plot_h / 2:.0f}" '
        'text-anchor="middle" class="empty">No data in this range</text>'
    )


def _summary(
    rows: Sequence[tuple[str, Mapping[str, float]]], series: Sequence[Series], unit: str = ""
) -> str:
    totals = ", ".join(
        f"{s.label}: {_fmt(sum(v.get(s.key, 0) for _, v in rows))}{unit}" for s in series
    )
    span = f"{rows[0][0]} to {rows[-1][0]}" if rows else "no data"
    return f"{span}. {totals}"
