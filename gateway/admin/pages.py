"""What every staff page with a period reads from its query string: dates and site.

Shared by the dashboard and the faces' staff pages. A date or site a person
typed that cannot be used becomes a message on the page, never an error.
"""

from __future__ import annotations

from datetime import timedelta

from flask import request

from gateway.admin.dashboard import DateRange, RangeError, parse_range
from gateway.sites import all_sites
from gateway.timeutil import today

PRESETS = (("Today", 1), ("7 days", 7), ("14 days", 14), ("30 days", 30), ("90 days", 90))


def page_scope() -> tuple[DateRange, str | None, list[str]]:
    """``?from=&to=&site=`` of the current request, and the problems found in them."""
    problems = []
    default = parse_range(None, None, today())
    try:
        period = parse_range(
            request.args.get("from", "").strip() or None,
            request.args.get("to", "").strip() or None,
            today(),
        )
    except RangeError as exc:
        problems.append(
            f"The date range cannot be used: {exc}. Showing {default.start} to {default.end}."
        )
        period = default
    site = request.args.get("site", "").strip() or None
    if site is not None and site not in all_sites():
        problems.append(f"There is no site {site[:64]!r}; showing all sites.")
        site = None
    return period, site, problems


def sentence(exc: Exception) -> str:
    """An exception's message as a sentence for a page."""
    text = str(exc)
    return text[:1].upper() + text[1:] + "."


def presets() -> list[tuple[str, str, str]]:
    """(label, from, to) of the quick period links."""
    end = today()
    return [
        (label, (end - timedelta(days=days - 1)).isoformat(), end.isoformat())
        for label, days in PRESETS
    ]
