"""/metrics gauges of the outbox: its depth by status and the age of its oldest pending event."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Flask

from gateway.admin.gauges import Samples, counts_by, register_stored_gauge
from gateway.analytics.models import (
    OUTBOX_DEAD,
    OUTBOX_DRY_RUN,
    OUTBOX_PENDING,
    OUTBOX_SENT,
    OutboxEvent,
)

OUTBOX_STATUSES = (OUTBOX_PENDING, OUTBOX_SENT, OUTBOX_DRY_RUN, OUTBOX_DEAD)


def outbox_depth(conn: sa.Connection, _now: datetime) -> Samples:
    return counts_by(conn, OutboxEvent.status, OUTBOX_STATUSES)


def oldest_pending_age(conn: sa.Connection, now: datetime) -> Samples:
    oldest = conn.execute(
        sa.select(sa.func.min(OutboxEvent.created_at)).where(OutboxEvent.status == OUTBOX_PENDING)
    ).scalar()
    age = (now - oldest).total_seconds() if isinstance(oldest, datetime) else 0.0
    return [((), max(age, 0.0))]


def register_all(app: Flask) -> None:
    register_stored_gauge(
        app,
        "gateway_outbox_events",
        "Outbox events by status (pending is the depth; dead are dead letters).",
        ("status",),
        outbox_depth,
    )
    register_stored_gauge(
        app,
        "gateway_outbox_oldest_pending_seconds",
        "Age of the oldest pending outbox event (0 when none is pending).",
        (),
        oldest_pending_age,
    )
