"""The outbox as the forwarder sees it: claim, then mark sent / retry later / dead-letter.

The life of an event: the intake inserts it ``pending``.  A worker *claims* a
batch (one short transaction: ``claimed_by``/``claimed_until`` set, attempts
counted), sends it outside any transaction, and then, in one transaction,
records the request in ``forwarded_requests`` and marks the events ``sent``
(2xx), ``dead`` (other 4xx) or releases them with a later ``available_at``
(429/5xx/network).  A worker that dies leaves its claim to expire; another
worker then retries the batch.

The one window where an event can reach Google twice is a crash (or lost
database connection) after Google answered 2xx and before the marking commit:
the claim expires and the batch is sent again.  It is a few milliseconds wide
and cannot be closed without Google taking an idempotency key, which the
Measurement Protocol does not.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from gateway.analytics.forwarding.ga4 import OutboxItem
from gateway.analytics.forwarding.models import ForwardedRequest
from gateway.analytics.models import (
    OUTBOX_DEAD,
    OUTBOX_DRY_RUN,
    OUTBOX_PENDING,
    OUTBOX_SENT,
    OutboxEvent,
)

ERROR_TEXT_LIMIT = 2000


@dataclass(frozen=True)
class ClaimedEvent:
    item: OutboxItem
    attempts: int


def _begin_claim(conn: Connection) -> None:
    # SQLite has no row locks: BEGIN IMMEDIATE takes the write lock up front,
    # so two workers' claims are serialized instead of overlapping.
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _loads(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def claim(
    engine: Engine, worker: str, now: datetime, limit: int, ttl_seconds: float
) -> list[ClaimedEvent]:
    """Claim up to ``limit`` due events for ``worker``; nobody else gets them until released.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets concurrent workers claim
    disjoint batches without waiting on each other.
    """
    due = (
        sa.select(OutboxEvent.id)
        .where(
            OutboxEvent.status == OUTBOX_PENDING,
            OutboxEvent.available_at <= now,
            sa.or_(OutboxEvent.claimed_until.is_(None), OutboxEvent.claimed_until < now),
        )
        .order_by(OutboxEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        sa.update(OutboxEvent)
        .where(OutboxEvent.id.in_(due.scalar_subquery()))
        .values(
            claimed_by=worker,
            claimed_until=now + timedelta(seconds=ttl_seconds),
            attempts=OutboxEvent.attempts + 1,
        )
        .returning(
            OutboxEvent.id,
            OutboxEvent.site,
            OutboxEvent.mode,
            OutboxEvent.client_id,
            OutboxEvent.user_location_json,
            OutboxEvent.device_json,
            OutboxEvent.event_json,
            OutboxEvent.timestamp_micros,
            OutboxEvent.attempts,
        )
    )
    with engine.connect() as conn:
        _begin_claim(conn)
        rows = conn.execute(stmt).all()
        conn.commit()
    claimed = []
    for row in sorted(rows, key=lambda r: r.id):
        event = _loads(row.event_json)
        claimed.append(
            ClaimedEvent(
                OutboxItem(
                    id=row.id,
                    site=row.site,
                    mode=row.mode,
                    client_id=row.client_id,
                    user_location=_loads(row.user_location_json),
                    device=_loads(row.device_json),
                    event=event if isinstance(event, dict) else {},
                    timestamp_micros=row.timestamp_micros,
                ),
                row.attempts,
            )
        )
    return claimed


@dataclass(frozen=True)
class RequestRecord:
    """One row of ``forwarded_requests``."""

    site: str
    mode: str
    measurement_id: str
    endpoint_kind: str
    outcome: str
    event_count: int
    body_json: str
    status_code: int | None = None
    response_text: str | None = None
    error: str | None = None
    duration_ms: int | None = None


def _record(conn: Connection, record: RequestRecord, worker: str, now: datetime) -> None:
    conn.execute(
        sa.insert(ForwardedRequest).values(
            site=record.site,
            mode=record.mode,
            measurement_id=record.measurement_id,
            endpoint_kind=record.endpoint_kind,
            outcome=record.outcome,
            event_count=record.event_count,
            body_json=record.body_json,
            status_code=record.status_code,
            response_text=(record.response_text or "")[:ERROR_TEXT_LIMIT] or None,
            error=(record.error or "")[:200] or None,
            duration_ms=record.duration_ms,
            worker=worker[:64],
            created_at=now,
        )
    )


def _mine(ids: Sequence[int], worker: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        OutboxEvent.id.in_(list(ids)),
        OutboxEvent.claimed_by == worker,
        OutboxEvent.status == OUTBOX_PENDING,
    )


def mark_delivered(
    engine: Engine,
    worker: str,
    ids: Sequence[int],
    now: datetime,
    record: RequestRecord,
    dry_run: bool = False,
) -> int:
    """GA said 2xx (or dry-run kept the body): record the request, mark its events; atomically."""
    with engine.begin() as conn:
        _record(conn, record, worker, now)
        result = conn.execute(
            sa.update(OutboxEvent)
            .where(_mine(ids, worker))
            .values(
                status=OUTBOX_DRY_RUN if dry_run else OUTBOX_SENT,
                sent_at=now,
                claimed_by=None,
                claimed_until=None,
                last_error=None,
            )
        )
    return int(result.rowcount)


def release_for_retry(
    engine: Engine,
    worker: str,
    ids: Sequence[int],
    available_at: datetime,
    error: str | None,
    now: datetime,
    record: RequestRecord | None = None,
    uncount_attempt: bool = False,
) -> int:
    """Give claimed events back, due again at ``available_at`` (backoff lives in the database).

    ``uncount_attempt`` is for events released without having been sent
    (shutdown, or their batch-mates failed first).
    """
    values: dict[str, Any] = {
        "claimed_by": None,
        "claimed_until": None,
        "available_at": available_at,
    }
    if error is not None:
        values["last_error"] = error[:ERROR_TEXT_LIMIT]
    if uncount_attempt:
        values["attempts"] = sa.case((OutboxEvent.attempts > 0, OutboxEvent.attempts - 1), else_=0)
    with engine.begin() as conn:
        if record is not None:
            _record(conn, record, worker, now)
        result = conn.execute(sa.update(OutboxEvent).where(_mine(ids, worker)).values(**values))
    return int(result.rowcount)


def dead_letter(
    engine: Engine,
    worker: str,
    reasons: Mapping[int, str],
    now: datetime,
    record: RequestRecord | None = None,
) -> int:
    """Events that can never be sent: kept with the reason, never retried automatically.

    ``sent_at`` records when they were given up on: DEAD_LETTER_RETENTION counts from it.
    """
    changed = 0
    by_reason: dict[str, list[int]] = {}
    for event_id, reason in reasons.items():
        by_reason.setdefault(reason, []).append(event_id)
    with engine.begin() as conn:
        if record is not None:
            _record(conn, record, worker, now)
        for reason, ids in by_reason.items():
            result = conn.execute(
                sa.update(OutboxEvent)
                .where(_mine(ids, worker))
                .values(
                    status=OUTBOX_DEAD,
                    claimed_by=None,
                    claimed_until=None,
                    last_error=reason[:ERROR_TEXT_LIMIT],
                    sent_at=now,
                )
            )
            changed += int(result.rowcount)
    return changed


def next_due(engine: Engine, now: datetime) -> datetime | None:
    """When the earliest pending event becomes claimable (None: nothing pending)."""
    ready = sa.case(
        (
            sa.and_(OutboxEvent.claimed_until.is_not(None), OutboxEvent.claimed_until > now),
            OutboxEvent.claimed_until,
        ),
        else_=OutboxEvent.available_at,
    )
    with engine.connect() as conn:
        value = conn.execute(
            sa.select(sa.func.min(ready)).where(OutboxEvent.status == OUTBOX_PENDING)
        ).scalar()
    return value if isinstance(value, datetime) else None


def pending_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).where(OutboxEvent.status == OUTBOX_PENDING)
            ).scalar_one()
        )


def requeue_dead(
    engine: Engine, now: datetime, site: str | None = None, ids: Iterable[int] | None = None
) -> int:
    """Dead letters back to pending (after the cause, e.g. a wrong API secret, is fixed).

    All of them, one site's, or only ``ids`` (other ids, or events that are
    not dead, are left alone)."""
    stmt = (
        sa.update(OutboxEvent)
        .where(OutboxEvent.status == OUTBOX_DEAD)
        .values(status=OUTBOX_PENDING, attempts=0, available_at=now, sent_at=None)
    )
    if site:
        stmt = stmt.where(OutboxEvent.site == site)
    if ids is not None:
        stmt = stmt.where(OutboxEvent.id.in_(list(ids)))
    with engine.begin() as conn:
        return int(conn.execute(stmt).rowcount)


def stats(engine: Engine) -> dict[str, Any]:
    """Counters an operator (and /metrics) can derive: depth, attempts, retries, dead letters."""
    with engine.connect() as conn:
        by_status = dict(
            conn.execute(
                sa.select(OutboxEvent.status, sa.func.count()).group_by(OutboxEvent.status)
            ).all()
        )
        attempts, retries = conn.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(OutboxEvent.attempts), 0),
                sa.func.coalesce(
                    sa.func.sum(
                        sa.case((OutboxEvent.attempts > 1, OutboxEvent.attempts - 1), else_=0)
                    ),
                    0,
                ),
            )
        ).one()
        oldest = conn.execute(
            sa.select(sa.func.min(OutboxEvent.created_at)).where(
                OutboxEvent.status == OUTBOX_PENDING
            )
        ).scalar()
        requests = dict(
            conn.execute(
                sa.select(ForwardedRequest.outcome, sa.func.count()).group_by(
                    ForwardedRequest.outcome
                )
            ).all()
        )
    return {
        "events": {str(k): int(v) for k, v in by_status.items()},
        "attempts": int(attempts),
        "retries": int(retries),
        "oldest_pending": oldest,
        "requests": {str(k): int(v) for k, v in requests.items()},
    }


def forwarded_requests(
    engine: Engine,
    limit: int,
    outcomes: Iterable[str] = (),
    site: str | None = None,
) -> list[ForwardedRequest]:
    query = sa.select(ForwardedRequest).order_by(ForwardedRequest.id.desc()).limit(limit)
    wanted = list(outcomes)
    if wanted:
        query = query.where(ForwardedRequest.outcome.in_(wanted))
    if site:
        query = query.where(ForwardedRequest.site == site)
    with sa.orm.Session(engine) as session:
        rows = list(session.scalars(query))
        session.expunge_all()
    return rows
