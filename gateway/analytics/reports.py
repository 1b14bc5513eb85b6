"""Dashboard panels for analytics: what arrived, what was dropped and why, what left."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gateway.admin.charts import Series, stacked_bars
from gateway.admin.dashboard import Attention, DateRange, Figure, Panel, series_table
from gateway.analytics import forwarded
from gateway.analytics.forwarding.models import OUTCOME_RETRY, OUTCOMES, ForwardedRequest
from gateway.analytics.models import (
    OUTBOX_DEAD,
    OUTBOX_DRY_RUN,
    OUTBOX_PENDING,
    OUTBOX_SENT,
    CollectStat,
    OutboxEvent,
)
from gateway.i18n import plural

RESULTS = (
    Series("event", "Event mode (consented)", "#2563eb"),
    Series("aggregate", "Aggregated", "#0891b2"),
    Series("dropped", "Dropped", "#dc2626"),
)
FORWARDED = (
    Series(OUTBOX_SENT, "Sent to GA", "#16a34a"),
    Series(OUTBOX_DRY_RUN, "Kept (dry-run)", "#64748b"),
)


OUTCOME_LABELS = {
    "sent": "sent (GA answered 2xx)",
    "dry_run": "kept (dry-run)",
    "retry": "failed, retried later",
    "dead": "refused (dead-lettered)",
}
RESULTS_RU = (
    Series("event", "С согласием (события)", "#2563eb"),
    Series("aggregate", "Агрегировано", "#0891b2"),
    Series("dropped", "Отброшено", "#dc2626"),
)
FORWARDED_RU = (
    Series(OUTBOX_SENT, "Отправлено в GA", "#16a34a"),
    Series(OUTBOX_DRY_RUN, "Оставлено (пробный режим)", "#64748b"),
)
OUTCOME_LABELS_RU = {
    "sent": "отправлено (GA ответил 2xx)",
    "dry_run": "оставлено (пробный режим)",
    "retry": "ошибка, повтор позже",
    "dead": "отклонено (в мёртвых письмах)",
}

# English first, Russian second: every word of both panels.
WORDS = {
    "intake_title": ("Analytics events received", "Полученные события аналитики"),
    "received": ("received", "получено"),
    "event_mode": ("event mode", "с согласием"),
    "aggregated": ("aggregated", "агрегировано"),
    "dropped": ("dropped", "отброшено"),
    "chart_events": ("Analytics events per day", "События аналитики по дням"),
    "day": ("day", "день"),
    "total": ("total", "всего"),
    "drop_reason": ("drop reason", "причина отбрасывания"),
    "events": ("events", "событий"),
    "unspecified": ("unspecified", "не указана"),
    "intake_note": (
        "Dropped events never reach the database beyond this count.",
        "Отброшенные события не попадают в базу — только их число.",
    ),
    "intake_link": ("Drop reasons and payloads", "Причины отбрасывания и содержимое"),
    "fwd_title": ("Forwarded to Google Analytics", "Переслано в Google Analytics"),
    "depth": ("outbox depth", "в очереди на отправку"),
    "retrying": ("waiting to retry", "ждут повтора"),
    "dead": ("dead letters", "мёртвые письма"),
    "retried": ("requests retried in range", "повторных запросов за период"),
    "chart_fwd": ("Events forwarded per day", "Пересланные события по дням"),
    "requests": ("requests in range", "запросы за период"),
    "count": ("count", "число"),
    "fwd_note": (
        "A request carries up to 25 events; failed requests are retried with backoff.",
        "Запрос несёт до 25 событий; неудачные запросы повторяются с нарастающей паузой.",
    ),
    "fwd_link": ("What Google receives", "Что получает Google"),
}


def word(key: str, lang: str) -> str:
    english, russian = WORDS[key]
    return russian if lang == "ru" else english


def _bounds(period: DateRange) -> tuple[datetime, datetime]:
    return datetime.combine(period.start, time.min), datetime.combine(
        period.end + timedelta(days=1), time.min
    )


def intake_panel(session: Session, period: DateRange, site: str | None, lang: str = "en") -> Panel:
    query = sa.select(
        CollectStat.day, CollectStat.result, CollectStat.reason, sa.func.sum(CollectStat.count)
    ).where(CollectStat.day >= period.start, CollectStat.day <= period.end)
    if site:
        query = query.where(CollectStat.site == site)
    query = query.group_by(CollectStat.day, CollectStat.result, CollectStat.reason)
    per_day: dict[str, dict[str, float]] = {d.isoformat(): {} for d in period.days}
    reasons: dict[str, int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    for day, result, reason, count in session.execute(query):
        bucket = per_day.setdefault(day.isoformat(), {})
        bucket[result] = bucket.get(result, 0) + int(count)
        totals[result] += int(count)
        if result == "dropped":
            reasons[reason or word("unspecified", lang)] += int(count)
    received = sum(totals.values())
    rows = sorted(per_day.items())
    results = RESULTS_RU if lang == "ru" else RESULTS
    chart = word("chart_events", lang)
    return Panel(
        id="analytics-intake",
        title=word("intake_title", lang),
        figures=(
            Figure(word("received", lang), str(received)),
            Figure(word("event_mode", lang), str(totals["event"])),
            Figure(word("aggregated", lang), str(totals["aggregate"])),
            # Drops are the anonymizer doing its job (mostly bots): shown, not alarming.
            Figure(word("dropped", lang), str(totals["dropped"])),
        ),
        charts=(stacked_bars(chart, rows, results),),
        tables=(series_table(chart, word("day", lang), rows, results, word("total", lang)),),
        headers=(word("drop_reason", lang), word("events", lang)),
        rows=tuple((reason, str(n)) for reason, n in sorted(reasons.items(), key=lambda i: -i[1])),
        note=word("intake_note", lang),
        links=((word("intake_link", lang), "analytics_staff.forwarded_page"),),
    )


def forwarding_panel(
    session: Session, period: DateRange, site: str | None, lang: str = "en"
) -> Panel:
    start, end = _bounds(period)
    scope = [OutboxEvent.site == site] if site else []
    forwarded = session.execute(
        sa.select(sa.func.date(OutboxEvent.sent_at), OutboxEvent.status, sa.func.count())
        .where(
            OutboxEvent.sent_at >= start,
            OutboxEvent.sent_at < end,
            OutboxEvent.status.in_((OUTBOX_SENT, OUTBOX_DRY_RUN)),
            *scope,
        )
        .group_by(sa.func.date(OutboxEvent.sent_at), OutboxEvent.status)
    ).all()
    per_day: dict[str, dict[str, float]] = {d.isoformat(): {} for d in period.days}
    for day, status, count in forwarded:
        key = str(day)[:10]
        per_day.setdefault(key, {})[status] = int(count)
    state = dict(
        session.execute(
            sa.select(OutboxEvent.status, sa.func.count())
            .where(*scope)
            .group_by(OutboxEvent.status)
        ).all()
    )
    retrying = session.scalar(
        sa.select(sa.func.count()).where(
            OutboxEvent.status == OUTBOX_PENDING, OutboxEvent.attempts > 0, *scope
        )
    )
    dead = int(state.get(OUTBOX_DEAD, 0))
    outcomes = dict(
        session.execute(
            sa.select(ForwardedRequest.outcome, sa.func.count())
            .where(
                ForwardedRequest.created_at >= start,
                ForwardedRequest.created_at < end,
                *([ForwardedRequest.site == site] if site else []),
            )
            .group_by(ForwardedRequest.outcome)
        ).all()
    )
    days = sorted(per_day.items())
    series = FORWARDED_RU if lang == "ru" else FORWARDED
    labels = OUTCOME_LABELS_RU if lang == "ru" else OUTCOME_LABELS
    chart = word("chart_fwd", lang)
    return Panel(
        id="analytics-forwarding",
        title=word("fwd_title", lang),
        figures=(
            Figure(word("depth", lang), str(int(state.get(OUTBOX_PENDING, 0)))),
            Figure(word("retrying", lang), str(int(retrying or 0))),
            Figure(word("dead", lang), str(dead), "bad" if dead else "ok"),
            Figure(word("retried", lang), str(int(outcomes.get(OUTCOME_RETRY, 0))), ""),
        ),
        charts=(stacked_bars(chart, days, series),),
        headers=(word("requests", lang), word("count", lang)),
        rows=tuple((labels[outcome], str(int(outcomes.get(outcome, 0)))) for outcome in OUTCOMES),
        note=word("fwd_note", lang),
        tables=(series_table(chart, word("day", lang), days, series, word("total", lang)),),
        links=((word("fwd_link", lang), "analytics_staff.forwarded_page"),),
    )


def forwarder_attention(
    session: Session, now: datetime, site: str | None, lang: str
) -> list[Attention]:
    """A forwarder that is not running or falling behind: due events waiting too long."""
    backlog = forwarded.backlog(session, site, now)
    if not backlog.stalled(now):
        return []
    waited = forwarded.wait_words(backlog.lag(now), lang)
    if lang == "ru":
        events = plural(backlog.due, ("событие ждёт", "события ждут", "событий ждут"), "ru")
        text = (
            f"{backlog.due} {events} отправки в Google, самое давнее — {waited}: пересылка "
            "(gateway forward) не запущена или не успевает."
        )
    else:
        events = plural(backlog.due, ("event waits", "events wait", "events wait"), "en")
        text = (
            f"{backlog.due} {events} to be sent to Google, the oldest for {waited}: the "
            "forwarder (gateway forward) is not running or is falling behind."
        )
    return [Attention(text, "bad", "analytics_staff.forwarded_page")]
