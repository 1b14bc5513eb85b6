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
from gateway.contact.texts import staff_type_labels
from gateway.timeutil import utcnow

ACTIVE_STATUSES = (STATUS_OPEN, STATUS_IN_PROGRESS, STATUS_WAITING)
# "Due this week": due today or within the next six days, and not late yet.
SOON_DAYS = 7
# Short names for chart ticks; the table beside the chart says the same per type.
SHORT_TYPES = {
    "en": {"withdraw-consent": "withdraw"},
    "ru": {
        "access": "доступ",
        "rectify": "исправл.",
        "erase": "удаление",
        "withdraw-consent": "отзыв",
        "refund": "возврат",
        "question": "вопрос",
        "other": "другое",
    },
}

# English first, Russian second: every word of the panel.
WORDS = {
    "later": ("Due later", "Срок позже"),
    "soon": ("Due within 7 days", "Срок в ближайшие 7 дней"),
    "overdue_series": ("Overdue", "Просрочено"),
    "title": ("Data-subject requests", "Обращения субъектов данных"),
    "open": ("open", "открыто"),
    "due7": ("due within 7 days", "срок в ближайшие 7 дней"),
    "overdue": ("overdue", "просрочено"),
    "unverified": ("awaiting e-mail confirmation", "ждут подтверждения адреса"),
    "received": ("received in range", "получено за период"),
    "closed": ("closed in range", "закрыто за период"),
    "chart_open": ("Open requests by type and deadline", "Открытые обращения по типу и сроку"),
    "chart_received": ("Requests received per day", "Обращения по дням"),
    "day": ("day", "день"),
    "total": ("total", "всего"),
    "h_type": ("type", "тип"),
    "h_open": ("open", "открыто"),
    "h_progress": ("in progress", "в работе"),
    "h_waiting": ("waiting", "ждут ответа"),
    "h_soon": ("due ≤ 7 days", "срок ≤ 7 дней"),
    "h_overdue": ("overdue", "просрочено"),
    "note": (
        "Open requests as of today (Moscow time); the range applies to received and closed.",
        "Открытые обращения — на сегодня (по Москве); период относится к полученным и закрытым.",
    ),
    "note_site": (
        " Requests are not tied to a site: these numbers cover all sites.",
        " Обращения не привязаны к сайту: числа — по всем сайтам.",
    ),
    "link": ("Open the request queue", "Открыть очередь обращений"),
}


def word(key: str, lang: str) -> str:
    english, russian = WORDS[key]
    return russian if lang == "ru" else english


def urgency_series(lang: str) -> tuple[Series, ...]:
    return (
        Series("later", word("later", lang), "#2563eb"),
        Series("soon", word("soon", lang), "#ea580c"),
        Series("overdue", word("overdue_series", lang), "#dc2626"),
    )


def received_series(lang: str) -> tuple[Series, ...]:
    labels = staff_type_labels(lang)
    return tuple(Series(kind, labels.get(kind, kind)) for kind in REQUEST_TYPES)


def urgency(due: date | None, today: date) -> str:
    """``overdue``, ``soon`` (due within SOON_DAYS) or ``later`` for an active request."""
    if deadlines.is_overdue(due, today, closed=False):
        return "overdue"
    if due is not None and due < today + timedelta(days=SOON_DAYS):
        return "soon"
    return "later"


def requests_panel(
    session: Session, period: DateRange, site: str | None, lang: str = "en"
) -> Panel:
    labels = staff_type_labels(lang)
    short = SHORT_TYPES["ru" if lang == "ru" else "en"]
    received_kinds = received_series(lang)
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
            labels.get(kind, kind),
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
            short.get(kind, kind),
            {key: float(counts[key]) for key in ("later", "soon", "overdue")},
        )
        for kind, counts in by_type.items()
    ]
    note = word("note", lang)
    if site:
        note += word("note_site", lang)
    return Panel(
        id="requests",
        title=word("title", lang),
        figures=(
            Figure(word("open", lang), str(open_total)),
            Figure(word("due7", lang), str(totals["soon"]), "warn" if totals["soon"] else ""),
            Figure(
                word("overdue", lang), str(totals["overdue"]), "bad" if totals["overdue"] else "ok"
            ),
            Figure(word("unverified", lang), str(int(unverified or 0))),
            Figure(word("received", lang), str(len(received))),
            Figure(word("closed", lang), str(int(closed or 0))),
        ),
        charts=(
            stacked_bars(word("chart_open", lang), chart_rows, urgency_series(lang), tick_chars=12),
            stacked_bars(word("chart_received", lang), days, received_kinds),
        ),
        tables=(
            series_table(
                word("chart_received", lang),
                word("day", lang),
                days,
                received_kinds,
                word("total", lang),
            ),
        ),
        headers=tuple(
            word(key, lang)
            for key in ("h_type", "h_open", "h_progress", "h_waiting", "h_soon", "h_overdue")
        ),
        rows=tuple(rows),
        note=note,
        links=((word("link", lang), "contact_staff.queue"),),
    )
