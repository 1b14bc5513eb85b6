"""/metrics gauges of the request queue: requests by status, and the overdue ones."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Flask

from gateway.admin.gauges import Samples, counts_by, register_stored_gauge
from gateway.contact.deadlines import moscow_date
from gateway.contact.models import STATUSES, ContactRequest
from gateway.contact.reports import ACTIVE_STATUSES


def request_queue(conn: sa.Connection, _now: datetime) -> Samples:
    return counts_by(conn, ContactRequest.status, STATUSES)


def overdue_requests(conn: sa.Connection, now: datetime) -> Samples:
    count = conn.execute(
        sa.select(sa.func.count()).where(
            ContactRequest.status.in_(ACTIVE_STATUSES),
            ContactRequest.due_date < moscow_date(now),
        )
    ).scalar()
    return [((), float(count or 0))]


def register_all(app: Flask) -> None:
    register_stored_gauge(
        app, "gateway_requests", "Data-subject requests by status.", ("status",), request_queue
    )
    register_stored_gauge(
        app,
        "gateway_requests_overdue",
        "Open data-subject requests past their due date.",
        (),
        overdue_requests,
    )
