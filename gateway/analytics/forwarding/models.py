"""What was sent to Google (or would have been, in dry-run): one row per request attempt.

Staff read these to see exactly what Google receives.  The API secret travels
in the request URL and is never stored; bodies hold anonymized events only.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gateway.analytics.models import BigId
from gateway.db import Base
from gateway.timeutil import utcnow

ENDPOINT_DRY_RUN = "dry-run"
ENDPOINT_LIVE = "live"

# Outcome of one attempt.
OUTCOME_DRY_RUN = "dry_run"  # built and validated, kept, not sent
OUTCOME_SENT = "sent"  # GA answered 2xx; the events are marked sent
OUTCOME_RETRY = "retry"  # 429, 5xx, timeout or network error; retried later
OUTCOME_DEAD = "dead"  # another 4xx; the events are dead-lettered
OUTCOMES = (OUTCOME_DRY_RUN, OUTCOME_SENT, OUTCOME_RETRY, OUTCOME_DEAD)


class ForwardedRequest(Base):
    __tablename__ = "forwarded_requests"
    __table_args__ = (sa.Index("ix_forwarded_requests_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    site: Mapped[str] = mapped_column(sa.String(64))
    mode: Mapped[str] = mapped_column(sa.String(16))
    measurement_id: Mapped[str] = mapped_column(sa.String(32), default="")
    endpoint_kind: Mapped[str] = mapped_column(sa.String(16))
    outcome: Mapped[str] = mapped_column(sa.String(16))
    event_count: Mapped[int] = mapped_column(default=0)
    body_json: Mapped[str] = mapped_column(sa.Text)
    status_code: Mapped[int | None] = mapped_column(default=None)
    response_text: Mapped[str | None] = mapped_column(sa.Text, default=None)
    error: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    duration_ms: Mapped[int | None] = mapped_column(default=None)
    worker: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
