"""Scrape-time gauges read from the database: the registry faces add theirs to.

A face registers ``register_stored_gauge(app, name, help, labels, read)``
where ``read(conn, now)`` returns the samples. Every process answers from the
same database, so under gunicorn any worker reports the same truth. A scrape
while the database is down reports the gauges without samples (and
``gateway_state_up 0``) instead of failing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.orm import QueryableAttribute

from gateway.metrics import StateGauge, register_gauge
from gateway.timeutil import utcnow

log = logging.getLogger(__name__)

READER_KEY = "gateway.stored_gauge_reader"
Samples = list[tuple[tuple[str, ...], float]]
StoredRead = Callable[[sa.Connection, datetime], Samples]


class _Reader:
    """Reads each gauge in one connection per scrape, remembering whether it worked."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.up = 1.0

    def _engine(self) -> Engine:
        return self.app.extensions["gateway.db"]  # type: ignore[no-any-return]

    def gauge(self, read: StoredRead) -> Callable[[], Samples]:
        def samples() -> Samples:
            try:
                with self._engine().connect() as conn:
                    result = read(conn, utcnow())
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


def _reader(app: Flask) -> _Reader:
    reader = app.extensions.get(READER_KEY)
    if reader is None:
        reader = app.extensions[READER_KEY] = _Reader(app)
        register_gauge(
            app,
            StateGauge(
                "gateway_state_up",
                "1 when the stored-state gauges of this scrape could be read, else 0.",
                (),
                reader.take_up,
                last=True,
            ),
        )
    return reader  # type: ignore[no-any-return]


def counts_by(conn: sa.Connection, column: QueryableAttribute[str], keys: Sequence[str]) -> Samples:
    """Rows per value of ``column``, one sample for each of ``keys`` (0 when none)."""
    counts = dict(conn.execute(sa.select(column, sa.func.count()).group_by(column)).all())
    return [((key,), float(counts.get(key, 0))) for key in keys]


def register_stored_gauge(
    app: Flask, name: str, help: str, labels: tuple[str, ...], read: StoredRead
) -> None:
    register_gauge(app, StateGauge(name, help, labels, _reader(app).gauge(read)))
