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


def _bounds(period: DateRange) -> tuple[datetime, datetime]:
    return datetime.combine(period.start, time.min), datetime.combine(
        period.end + timedelta(days=1), time.min
    )


def intake_panel(session: Session, period: DateRange, site: str | None) -> Panel:
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
            reasons[reason or "unspecified"] += int(count)
    received = sum(totals.values())
    rows = sorted(per_day.items())
    return Panel(
        id="analytics-intake",
        title="Analytics events received",
        figures=(
            Figure("received", str(received)),
            Figure("event mode", str(totals["event"])),
            Figure("aggregated", str(totals["aggregate"])),
            # Drops are the anonymizer doing its job (mostly bots): shown, not alarming.
            Figure("dropped", str(totals["dropped"])),
        ),
        charts=(stacked_bars("Analytics events per day", rows, RESULTS),),
        tables=(series_table("Analytics events per day", "day", rows, RESULTS),),
        headers=("drop reason", "events"),
        rows=tuple((reason, str(n)) for reason, n in sorted(reasons.items(), key=lambda i: -i[1])),
        note="Dropped events never reach the database beyond this count.",
        links=(("Drop reasons and payloads", "analytics_staff.forwarded_page"),),
    )


def forwarding_panel(session: Session, period: DateRange, site: str | None) -> Panel:
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
    return Panel(
        id="analytics-forwarding",
        title="Forwarded to Google Analytics",
        figures=(
            Figure("outbox depth", str(int(state.get(OUTBOX_PENDING, 0)))),
            Figure("waiting to retry", str(int(retrying or 0))),
            Figure("dead letters", str(dead), "bad" if dead else "ok"),
            Figure("requests retried in range", str(int(outcomes.get(OUTCOME_RETRY, 0))), ""),
        ),
        charts=(stacked_bars("Events forwarded per day", days, FORWARDED),),
        headers=("requests in range", "count"),
        rows=tuple(
            (OUTCOME_LABELS[outcome], str(int(outcomes.get(outcome, 0)))) for outcome in OUTCOMES
        ),
        note="A request carries up to 25 events; failed requests are retried with backoff.",
        tables=(series_table("Events forwarded per day", "day", days, FORWARDED),),
        links=(("What Google receives", "analytics_staff.forwarded_page"),),
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
