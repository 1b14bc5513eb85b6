"""What Google receives: the recorded Measurement Protocol requests, drop reasons, dead letters.

Plain functions over a session; the view parses the filter and renders. Every
text shown passes through ``redact`` so an API secret that found its way into
a body or an answer is never displayed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gateway.admin.dashboard import DateRange
from gateway.analytics.forwarding.models import OUTCOMES, ForwardedRequest
from gateway.analytics.models import OUTBOX_DEAD, OUTBOX_PENDING, CollectStat, OutboxEvent
from gateway.i18n import plural

PER_PAGE = 20
MODES = ("event", "aggregate")
DEAD_LETTERS_SHOWN = 20
HIDDEN = "[api_secret hidden]"


class FilterError(ValueError):
    """A filter value a person chose that cannot be used; the message says why."""


@dataclass(frozen=True)
class ForwardedFilter:
    period: DateRange
    site: str | None = None
    mode: str | None = None
    outcome: str | None = None
    page: int = 1


@dataclass(frozen=True)
class ShownRequest:
    id: int
    created_at: datetime
    site: str
    mode: str
    measurement_id: str
    endpoint_kind: str
    outcome: str
    event_count: int
    body: str
    status_code: int | None
    response_text: str
    error: str
    duration_ms: int | None


@dataclass(frozen=True)
class RequestPage:
    rows: Sequence[ShownRequest]
    total: int
    page: int
    pages: int
    outcomes: dict[str, int]  # requests per outcome for the whole filter


@dataclass(frozen=True)
class DeadLetter:
    id: int
    site: str
    mode: str
    event: str
    reason: str
    attempts: int
    created_at: datetime
    dead_since: datetime | None


def check_choice(value: str | None, allowed: Iterable[str], what: str) -> str | None:
    """An optional select value: empty means any; anything else must be allowed."""
    if not value:
        return None
    choices = list(allowed)
    if value not in choices:
        raise FilterError(f"unknown {what} {value[:64]!r}; choose one of {', '.join(choices)}")
    return value


def parse_page(value: str | None) -> int:
    if not value:
        return 1
    if not value.isdigit() or int(value) < 1:
        raise FilterError("the page number must be a whole number from 1")
    return min(int(value), 1_000_000)


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, HIDDEN)
    return text


def pretty_json(text: str) -> str:
    """Indented JSON as GA reads it; text that is not JSON is shown as it is."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False, sort_keys=False)
    except ValueError:
        return text


def _bounds(period: DateRange) -> tuple[datetime, datetime]:
    return (
        datetime.combine(period.start, time.min),
        datetime.combine(period.end + timedelta(days=1), time.min),
    )


def _request_conditions(wanted: ForwardedFilter) -> list[sa.ColumnElement[bool]]:
    start, end = _bounds(wanted.period)
    conditions = [ForwardedRequest.created_at >= start, ForwardedRequest.created_at < end]
    if wanted.site:
        conditions.append(ForwardedRequest.site == wanted.site)
    if wanted.mode:
        conditions.append(ForwardedRequest.mode == wanted.mode)
    if wanted.outcome:
        conditions.append(ForwardedRequest.outcome == wanted.outcome)
    return conditions


def forwarded_requests(
    session: Session, wanted: ForwardedFilter, secrets: Iterable[str]
) -> RequestPage:
    """One page of recorded requests, newest first, with the bodies pretty-printed."""
    conditions = _request_conditions(wanted)
    outcomes = {
        str(outcome): int(count)
        for outcome, count in session.execute(
            sa.select(ForwardedRequest.outcome, sa.func.count())
            .where(*conditions)
            .group_by(ForwardedRequest.outcome)
        )
    }
    total = sum(outcomes.values())
    pages = max(1, -(-total // PER_PAGE))
    page = min(wanted.page, pages)
    records = session.scalars(
        sa.select(ForwardedRequest)
        .where(*conditions)
        .order_by(ForwardedRequest.created_at.desc(), ForwardedRequest.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    hidden = list(secrets)
    rows = [
        ShownRequest(
            id=r.id,
            created_at=r.created_at,
            site=r.site,
            mode=r.mode,
            measurement_id=r.measurement_id,
            endpoint_kind=r.endpoint_kind,
            outcome=r.outcome,
            event_count=r.event_count,
            body=redact(pretty_json(r.body_json), hidden),
            status_code=r.status_code,
            response_text=redact(r.response_text or "", hidden),
            error=redact(r.error or "", hidden),
            duration_ms=r.duration_ms,
        )
        for r in records
    ]
    return RequestPage(rows, total, page, pages, {o: outcomes.get(o, 0) for o in OUTCOMES})


def intake_results(
    session: Session, period: DateRange, site: str | None
) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """Events per intake result, and the anonymizer's drop reasons, most frequent first."""
    query = (
        sa.select(CollectStat.result, CollectStat.reason, sa.func.sum(CollectStat.count))
        .where(CollectStat.day >= period.start, CollectStat.day <= period.end)
        .group_by(CollectStat.result, CollectStat.reason)
    )
    if site:
        query = query.where(CollectStat.site == site)
    results: dict[str, int] = {"event": 0, "aggregate": 0, "dropped": 0}
    reasons: dict[str, int] = {}
    for result, reason, count in session.execute(query):
        results[result] = results.get(result, 0) + int(count)
        if result == "dropped":
            key = reason or "unspecified"
            reasons[key] = reasons.get(key, 0) + int(count)
    return results, sorted(reasons.items(), key=lambda item: (-item[1], item[0]))


def dead_letters(
    session: Session, site: str | None, secrets: Iterable[str], limit: int = DEAD_LETTERS_SHOWN
) -> tuple[list[DeadLetter], int]:
    """The newest dead letters (with GA's answer) and how many there are in all."""
    conditions = [OutboxEvent.status == OUTBOX_DEAD]
    if site:
        conditions.append(OutboxEvent.site == site)
    total = int(session.scalar(sa.select(sa.func.count()).where(*conditions)) or 0)
    hidden = list(secrets)
    rows = session.scalars(
        sa.select(OutboxEvent).where(*conditions).order_by(OutboxEvent.id.desc()).limit(limit)
    ).all()
    letters = [
        DeadLetter(
            id=row.id,
            site=row.site,
            mode=row.mode,
            event=redact(pretty_json(row.event_json), hidden),
            reason=redact(row.last_error or "", hidden),
            attempts=row.attempts,
            created_at=row.created_at,
            dead_since=row.sent_at,
        )
        for row in rows
    ]
    return letters, total


# Events due for sending longer than this mean the forwarder is not running or
# cannot keep up (it sends a batch every few seconds when it runs).
FORWARDER_LAG_ALERT = timedelta(minutes=5)


@dataclass(frozen=True)
class Backlog:
    """The outbox as the forwarder should see it: what is due, and since when."""

    due: int  # pending events whose time to be sent has come
    oldest_due: datetime | None  # when the longest-waiting of them became due
    sent_ever: int  # requests the forwarder recorded (sent or kept in dry-run), ever

    def lag(self, now: datetime) -> timedelta:
        return now - self.oldest_due if self.oldest_due is not None else timedelta(0)

    def stalled(self, now: datetime) -> bool:
        return self.due > 0 and self.lag(now) > FORWARDER_LAG_ALERT


def backlog(session: Session, site: str | None, now: datetime) -> Backlog:
    """Pending events already due (those backing off before a retry are not late)."""
    conditions = [OutboxEvent.status == OUTBOX_PENDING, OutboxEvent.available_at <= now]
    if site:
        conditions.append(OutboxEvent.site == site)
    due, oldest = session.execute(
        sa.select(sa.func.count(), sa.func.min(OutboxEvent.available_at)).where(*conditions)
    ).one()
    sent_query = sa.select(sa.func.count()).select_from(ForwardedRequest)
    if site:
        sent_query = sent_query.where(ForwardedRequest.site == site)
    return Backlog(int(due or 0), oldest, int(session.scalar(sent_query) or 0))


def wait_words(span: timedelta, lang: str = "en") -> str:
    """``45 minutes`` / ``3 hours`` / ``2 days``, rounded down, for a person to read."""
    minutes = int(span.total_seconds() // 60)
    if lang == "ru":
        for size, forms in (
            (1440, ("день", "дня", "дней")),
            (60, ("час", "часа", "часов")),
            (1, ("минуту", "минуты", "минут")),
        ):
            if minutes >= size or size == 1:
                n = max(1, minutes // size) if size > 1 else minutes
                return f"{n} {plural(n, forms, 'ru')}"
    for size, unit in ((1440, "day"), (60, "hour"), (1, "minute")):
        if minutes >= size or size == 1:
            n = minutes // size
            return f"{n} {unit}{'' if n == 1 else 's'}"
    return ""
