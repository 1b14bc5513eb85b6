"""Dashboard panel for data-subject requests: what is open, what is due soon, what is late."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gateway.admin.charts import Series, stacked_bars
from gateway.admin.dashboard import DateRange, Figure, Panel, series_table
from gateway.contact import deadlines
from gateway.contact.models import (
    CLOSED_STATUSES,
    REQUEST_TYPES,
    STATUS_IN_PROGRESS,
    STATUS_OPEN,
    STATUS_UNVERIFIED,
    STATUS_WAITING,
    ContactRequest,
)
from gateway.contact.texts import STAFF_TYPE_LABELS
from gateway.timeutil import utcnow

ACTIVE_STATUSES = (STATUS_OPEN, STATUS_IN_PROGRESS, STATUS_WAITING)
# "Due this week": due today or within the next six days, and not late yet.
SOON_DAYS = 7
# Short names for chart ticks; the table beside the chart says the same per type.
SHORT_TYPES = {"withdraw-consent": "withdraw"}

URGENCY = (
    Series("later", "Due later", "#2563eb"),
    Series("soon", "Due within 7 days", "#ea580c"),
    Series("overdue", "Overdue", "#dc2626"),
)
RECEIVED = tuple(Series(kind, STAFF_TYPE_LABELS.get(kind, kind)) for kind in REQUEST_TYPES)


def urgency(due: date | None, today: date) -> str:
    """``overdue``, ``soon`` (due within SOON_DAYS) or ``later`` for an active request."""
    if deadlines.is_overdue(due, today, closed=False):
        return "overdue"
    if due is not None and due < today + timedelta(days=SOON_DAYS):
        return "soon"
    return "later"


def requests_panel(session: Session, period: DateRange, site: str | None) -> Panel:
    today = deadlines.moscow_date(utcnow())
    active = session.execute(
        sa.select(
            ContactRequest.request_type, ContactRequest.status, ContactRequest.due_date
        ).where(ContactRequest.status.in_(ACTIVE_STATUSES))
    ).all()
    by_type: dict[str, Counter[str]] = {kind: Counter() for kind in REQUEST_TYPES}
    for kind, status, due in active:
        counts = by_type.setdefault(kind, Counter())
        counts[status] += 1
        counts[urgency(due, today)] += 1
    totals: Counter[str] = Counter()
    for counts in by_type.values():
        totals.update(counts)
    unverified = session.scalar(
        sa.select(sa.func.count()).where(ContactRequest.status == STATUS_UNVERIFIED)
    )
    start = datetime.combine(period.start, time.min)
    end = datetime.combine(period.end + timedelta(days=1), time.min)
    received = session.execute(
        sa.select(ContactRequest.created_at, ContactRequest.request_type).where(
            ContactRequest.created_at >= start, ContactRequest.created_at < end
        )
    ).all()
    per_day: dict[str, dict[str, float]] = {d.isoformat(): {} for d in period.days}
    for created, kind in received:
        bucket = per_day.setdefault(created.date().isoformat(), {})
        bucket[kind] = bucket.get(kind, 0) + 1
    closed = session.scalar(
        sa.select(sa.func.count()).where(
            ContactRequest.status.in_(CLOSED_STATUSES),
            ContactRequest.closed_at >= start,
            ContactRequest.closed_at < end,
        )
    )
    days = sorted(per_day.items())
    open_total = sum(totals[s] for s in ACTIVE_STATUSES)
    rows = [
        (
            STAFF_TYPE_LABELS.get(kind, kind),
            str(counts[STATUS_OPEN]),
            str(counts[STATUS_IN_PROGRESS]),
            str(counts[STATUS_WAITING]),
            str(counts["soon"]),
            str(counts["overdue"]),
        )
        for kind, counts in by_type.items()
        if sum(counts[s] for s in ACTIVE_STATUSES)
    ]
    chart_rows = [
        (
            SHORT_TYPES.get(kind, kind),
            {key: float(counts[key]) for key in ("later", "soon", "overdue")},
        )
        for kind, counts in by_type.items()
    ]
    note = "Open requests as of today (Moscow time); the range applies to received and closed."
    if site:
        note += " Requests are not tied to a site: these numbers cover all sites."
    return Panel(
        id="requests",
        title="Data-subject requests",
        figures=(
            Figure("open", str(open_total)),
            Figure("due within 7 days", str(totals["soon"]), "warn" if totals["soon"] else ""),
            Figure("overdue", str(totals["overdue"]), "bad" if totals["overdue"] else "ok"),
            Figure("awaiting e-mail confirmation", str(int(unverified or 0))),
            Figure("received in range", str(len(received))),
            Figure("closed in range", str(int(closed or 0))),
        ),
        charts=(
            stacked_bars("Open requests by type and deadline", chart_rows, URGENCY, tick_chars=12),
            stacked_bars("Requests received per day", days, RECEIVED),
        ),
        tables=(series_table("Requests received per day", "day", days, RECEIVED),),
        headers=("type", "open", "in progress", "waiting", "due ≤ 7 days", "overdue"),
        rows=tuple(rows),
        note=note,
        links=(("Open the request queue", "contact_staff.queue"),),
    )
