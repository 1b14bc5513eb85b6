"""Analytics tables: what the anonymizer keeps, waiting to be forwarded.

Nothing here can identify a visitor: rows hold anonymized events, counts and
coarse facts (country, region, device category, browser family) only.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base
from gateway.timeutil import utcnow

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

OUTBOX_PENDING = "pending"
OUTBOX_SENT = "sent"
OUTBOX_DEAD = "dead"
OUTBOX_DRY_RUN = "dry_run"


class OutboxEvent(Base):
    """One anonymized GA4 event waiting for (or done with) the forwarder.

    ``event_json`` is ``{"name": …, "params": {…}}``.  Events with the same
    site, mode, client id, location and device can share one Measurement
    Protocol request.  Aggregate events have no client id: the forwarder gives
    each request a random one, so nothing links two requests.
    """

    __tablename__ = "outbox_events"
    __table_args__ = (sa.Index("ix_outbox_events_status_available", "status", "available_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    site: Mapped[str] = mapped_column(sa.String(64))
    mode: Mapped[str] = mapped_column(sa.String(16))  # event | aggregate
    client_id: Mapped[str | None] = mapped_column(sa.String(64))
    user_location_json: Mapped[str | None] = mapped_column(sa.Text)
    device_json: Mapped[str | None] = mapped_column(sa.Text)
    event_json: Mapped[str] = mapped_column(sa.Text)
    timestamp_micros: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[str] = mapped_column(sa.String(16), default=OUTBOX_PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(sa.Text, default=None)


class AggregateCount(Base):
    """Events counted without any identifier, per window and coarse dimensions.

    ``consented`` rows are page views of visitors in event mode: they are sent to
    GA as events of their own, so these counts feed only the gateway's traffic
    view and are never forwarded as aggregates.
    """

    __tablename__ = "aggregate_counts"
    __table_args__ = (
        sa.UniqueConstraint(
            "window_start",
            "site",
            "event_name",
            "page_path",
            "country",
            "device_category",
            "source",
            "medium",
            "consented",
            name="uq_aggregate_counts_bucket",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    window_start: Mapped[datetime]
    site: Mapped[str] = mapped_column(sa.String(64))
    event_name: Mapped[str] = mapped_column(sa.String(40))
    page_path: Mapped[str] = mapped_column(sa.String(1000))
    country: Mapped[str] = mapped_column(sa.String(8))
    device_category: Mapped[str] = mapped_column(sa.String(16))
    source: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    medium: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    consented: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    count: Mapped[int] = mapped_column(default=0)
    # Engaged time (ms) the bucket's events reported, summed.
    engagement_msec: Mapped[int] = mapped_column(
        sa.BigInteger, default=0, server_default=sa.text("0")
    )


class TrafficDay(Base):
    """The gateway's own traffic figures: page views per day, k-anonymous.

    Written when an aggregate window closes, from its page views (every visitor,
    consented or not) folded so that each row counts at least k of them; the
    staff traffic view and ``gateway traffic`` read only this table.
    """

    __tablename__ = "traffic_days"
    __table_args__ = (
        sa.UniqueConstraint(
            "day",
            "site",
            "page_path",
            "source",
            "medium",
            "country",
            "device_category",
            name="uq_traffic_days_bucket",
        ),
        sa.Index("ix_traffic_days_site_day", "site", "day"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    day: Mapped[date]
    site: Mapped[str] = mapped_column(sa.String(64))
    page_path: Mapped[str] = mapped_column(sa.String(1000))
    source: Mapped[str] = mapped_column(sa.String(100))
    medium: Mapped[str] = mapped_column(sa.String(100))
    country: Mapped[str] = mapped_column(sa.String(8))
    device_category: Mapped[str] = mapped_column(sa.String(16))
    views: Mapped[int] = mapped_column(default=0)
    engagement_msec: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class CollectStat(Base):
    """Daily counters for the dashboard: events accepted per mode, dropped per reason."""

    __tablename__ = "collect_stats"
    __table_args__ = (
        sa.UniqueConstraint("day", "site", "result", "reason", name="uq_collect_stats_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    day: Mapped[date]
    site: Mapped[str] = mapped_column(sa.String(64))
    result: Mapped[str] = mapped_column(sa.String(16))  # event | aggregate | dropped
    reason: Mapped[str] = mapped_column(sa.String(64), default="")
    count: Mapped[int] = mapped_column(default=0)
