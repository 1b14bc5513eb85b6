"""Scrape-time gauges for /metrics: the outbox and the request queue, read from the database.

Every process answers from the same database, so under gunicorn any worker
reports the same truth. A scrape while the database is down reports the
gauges without samples (and ``gateway_state_up 0``) instead of failing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Engine

from gateway.analytics.models import (
    OUTBOX_DEAD,
    OUTBOX_DRY_RUN,
    OUTBOX_PENDING,
    OUTBOX_SENT,
    OutboxEvent,
)
from gateway.contact.models import STATUSES, ContactRequest
from gateway.metrics import StateGauge, register_gauge
from gateway.timeutil import utcnow

log = logging.getLogger(__name__)

OUTBOX_STATUSES = (OUTBOX_PENDING, OUTBOX_SENT, OUTBOX_DRY_RUN, OUTBOX_DEAD)
Samples = list[tuple[tuple[str, ...], float]]


def outbox_depth(conn: sa.Connection) -> Samples:
    counts = dict(
        conn.execute(
            sa.select(OutboxEvent.status, sa.func.count()).group_by(OutboxEvent.status)
        ).all()
    )
    return [((status,), float(counts.get(status, 0))) for status in OUTBOX_STATUSES]


def oldest_pending_age(conn: sa.Connection, now: datetime) -> Samples:
    oldest = conn.execute(
        sa.select(sa.func.min(OutboxEvent.created_at)).where(OutboxEvent.status == OUTBOX_PENDING)
    ).scalar()
    age = (now - oldest).total_seconds() if isinstance(oldest, datetime) else 0.0
    return [((), max(age, 0.0))]


def request_queue(conn: sa.Connection) -> Samples:
    counts = dict(
        conn.execute(
            sa.select(ContactRequest.status, sa.func.count()).group_by(ContactRequest.status)
        ).all()
    )
    return [((status,), float(counts.get(status, 0))) for status in STATUSES]


def overdue_requests(conn: sa.Connection, now: datetime) -> Samples:
    from gateway.contact.deadlines import moscow_date
    from gateway.contact.reports import ACTIVE_STATUSES

    count = conn.execute(
        sa.select(sa.func.count()).where(
            ContactRequest.status.in_(ACTIVE_STATUSES),
            ContactRequest.due_date < moscow_date(now),
        )
    ).scalar()
    return [((), float(count or 0))]


class _Reader:
    """Reads every gauge in one connection per scrape, remembering whether it worked."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.up = 1.0

    def _engine(self) -> Engine:
        return self.app.extensions["gateway.db"]  # type: ignore[no-any-return]

    def gauge(self, read: Callable[[sa.Connection], Samples]) -> Callable[[], Samples]:
        def samples() -> Samples:
            try:
                with self._engine().connect() as conn:
                    result = read(conn)
            except sa.exc.SQLAlchemyError as exc:
                log.warning("metrics: cannot read stored state (%s)", type(exc).__name__)
                self.up = 0.0
                return []
            return result

        return samples

    def take_up(self) -> Samples:
        """Whether every read since the last call worked; starts the next scrape afresh."""
        up, self.up = self.up, 1.0
        return [((), up)]


def register_all(app: Flask) -> None:
    reader = _Reader(app)
    for gauge in (
        StateGauge(
            "gateway_outbox_events",
            "Outbox events by status (pending is the depth; dead are dead letters).",
            ("status",),
            reader.gauge(outbox_depth),
        ),
        StateGauge(
            "gateway_outbox_oldest_pending_seconds",
            "Age of the oldest pending outbox event (0 when none is pending).",
            (),
            reader.gauge(lambda conn: oldest_pending_age(conn, utcnow())),
        ),
        StateGauge(
            "gateway_requests",
            "Data-subject requests by status.",
            ("status",),
            reader.gauge(request_queue),
        ),
        StateGauge(
            "gateway_requests_overdue",
            "Open data-subject requests past their due date.",
            (),
            reader.gauge(lambda conn: overdue_requests(conn, utcnow())),
        ),
        # Last, so it reports on the reads above in the same scrape.
        StateGauge(
            "gateway_state_up",
            "1 when the stored-state gauges of this scrape could be read, else 0.",
            (),
            reader.take_up,
        ),
    ):
        register_gauge(app, gauge)
