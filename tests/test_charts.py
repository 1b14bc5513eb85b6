from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from gateway.admin.charts import Series, _axis, lines, stacked_bars

SVG = "{http://www.w3.org/2000/svg}"
SERIES = [Series("accept", "Accept all"), Series("reject", "Reject all")]


def test_stacked_bars_heights_are_proportional_to_values() -> None:
    svg = stacked_bars(
        "Decisions",
        [("2026-11-01", {"accept": 30, "reject": 10}), ("2026-11-02", {"accept": 15})],
        SERIES,
    )
    root = ET.fromstring(svg)
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    heights = {r.find(f"{SVG}title").text: float(r.get("height")) for r in bars}  # type: ignore[union-attr]
    # Heights are written with one decimal: equal to within that rounding.
    assert heights["2026-11-01 · Accept all: 30"] == pytest.approx(
        2 * heights["2026-11-02 · Accept all: 15"], abs=0.2
    )
    assert heights["2026-11-01 · Accept all: 30"] == pytest.approx(
        3 * heights["2026-11-01 · Reject all: 10"], abs=0.2
    )
    # Stacked: the reject bar of day one sits on top of its accept bar.
    by_title = {r.find(f"{SVG}title").text: r for r in bars}  # type: ignore[union-attr]
    accept, reject = (
        by_title["2026-11-01 · Accept all: 30"],
        by_title["2026-11-01 · Reject all: 10"],
    )
    assert float(reject.get("y")) + float(reject.get("height")) == float(accept.get("y"))  # type: ignore[arg-type]


def test_chart_is_accessible_and_escapes_labels() -> None:
    svg = stacked_bars("<Consent & co>", [("<b>", {"accept": 1})], SERIES)
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "<Consent & co>"  # type: ignore[union-attr]
    assert "Accept all: 1" in root.find(f"{SVG}desc").text  # type: ignore[operator, union-attr]
    assert "<b>" not in svg


def test_empty_range_says_so() -> None:
    svg = lines("Rate", [], SERIES)
    assert "No data in this range" in svg
    ET.fromstring(svg)


def test_lines_place_points_by_value() -> None:
    svg = lines(
        "Rate",
        [("d1", {"accept": 0}), ("d2", {"accept": 50}), ("d3", {"accept": 100})],
        SERIES[:1],
        max_value=100,
        unit="%",
    )
    ys = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', svg)]
    assert ys[0] > ys[1] > ys[2]
    assert abs((ys[0] - ys[1]) - (ys[1] - ys[2])) < 0.2


def test_axis_ticks_are_whole_numbers() -> None:
    assert _axis(0) == (1, 1)
    assert _axis(1) == (1, 1)  # one request: ticks 0 and 1, not 0.25, 0.5, 0.75
    assert _axis(3) == (3, 1)
    assert _axis(7) == (8, 2)
    assert _axis(13) == (15, 5)
    assert _axis(230) == (250, 50)
    assert _axis(4100) == (5000, 1000)
    assert _axis(40, fixed_max=100) == (100, 25)


def test_a_chart_of_one_request_labels_only_whole_numbers() -> None:
    svg = stacked_bars("Requests", [("2026-11-01", {"n": 1.0})], [Series("n", "requests")])
    ticks = re.findall(r'class="tick">([^<]+)</text>', svg)
    numbers = [t for t in ticks if not t.startswith("11-")]
    assert numbers == ["0", "1"]
