"""The write path of /collect: one short transaction on a pooled DB-API connection.

The intake is the hot path, so it skips the ORM: the statements are prepared
once per engine, and each request runs them in a single transaction (outbox
rows, aggregate counts and daily stats commit together or not at all, so an
accepted event is never lost and never counted twice). Upserts are sorted so
concurrent requests on PostgreSQL take row locks in the same order.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gateway.analytics.intake.pipeline import Outcome
from gateway.analytics.models import OUTBOX_PENDING
from gateway.db import DEFAULT_TIMEOUT, sqlite_pragmas

log = logging.getLogger(__name__)

T = TypeVar("T")

_OUTBOX_COLUMNS = (
    "site",
    "mode",
    "client_id",
    "user_location_json",
    "device_json",
    "event_json",
    "timestamp_micros",
    "status",
    "attempts",
    "available_at",
    "created_at",
)
_BUCKET_COLUMNS = (
    "window_start",
    "site",
    "event_name",
    "page_path",
    "country",
    "device_category",
    "source",
    "medium",
    "consented",
)
_STAT_COLUMNS = ("day", "site", "result", "reason")
# A write that waited in the SQLite writers' queue longer than this gets only the
# rest of its timeout from SQLite's busy handler (shorter waits are normal queueing).
QUEUE_SLACK = 0.05


def _sql(template: str, columns: Sequence[str], placeholder: str) -> str:
    return template.format(
        columns=", ".join(columns), values=", ".join([placeholder] * len(columns))
    )


class StoreUnavailable(Exception):
    """The database refused the write; nothing of the request was kept."""


class CollectWriter:
    """Writes an Outcome for one engine; built once per app."""

    def __init__(self, engine: Engine, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.engine = engine
        self.timeout = timeout
        dialect = engine.dialect
        placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
        self._datetime = sa.DateTime().bind_processor(dialect)
        self._lock_path: str | None = None
        database = engine.url.database
        if dialect.name == "sqlite" and database and database != ":memory:":
            self._lock_path = database + ".write-lock"
        # PostgreSQL: one connection kept per thread too, out of the pool (see
        # _kept_connection); other databases go through the pool.
        self._keep_server_connection = dialect.name == "postgresql"
        self._thread_lock = threading.Lock()
        self._local = threading.local()
        # Opened on first write, i.e. in each gunicorn worker after the fork.
        self._lock_fd: int | None = None
        self._date = sa.Date().bind_processor(dialect)
        # Looked up once: what a failed write may raise.
        self._errors: tuple[type[Exception], ...] = (
            getattr(dialect.dbapi, "Error", Exception),
            sa.exc.SQLAlchemyError,
        )
        self.insert_outbox = _sql(
            "INSERT INTO outbox_events ({columns}) VALUES ({values})", _OUTBOX_COLUMNS, placeholder
        )
        bucket = ", ".join(_BUCKET_COLUMNS)
        self.upsert_bucket = _sql(
            # Column names are constants above; values are bound parameters.
            "INSERT INTO aggregate_counts ({columns}) VALUES ({values}) "  # noqa: S608
            f"ON CONFLICT ({bucket}) "
            "DO UPDATE SET count = aggregate_counts.count + excluded.count, "
            "engagement_msec = aggregate_counts.engagement_msec + excluded.engagement_msec",
            (*_BUCKET_COLUMNS, "count", "engagement_msec"),
            placeholder,
        )
        stat = ", ".join(_STAT_COLUMNS)
        self.upsert_stat = _sql(
            "INSERT INTO collect_stats ({columns}) VALUES ({values}) "  # noqa: S608
            f"ON CONFLICT ({stat}) "
            "DO UPDATE SET count = collect_stats.count + excluded.count",
            (*_STAT_COLUMNS, "count"),
            placeholder,
        )

    def _locked_run(
        self,
        connection: Any,
        outbox: list[tuple[Any, ...]],
        buckets: list[tuple[Any, ...]],
        stats: list[tuple[Any, ...]],
    ) -> None:
        """On SQLite, writers queue on a kernel lock instead of SQLite's busy-wait.

        SQLite lets one writer in at a time and makes the others poll with
        sleeps of up to tens of milliseconds; gunicorn workers that queue on
        an flock() wake the moment the previous write commits.
        """
        if self._lock_path is None:
            self._run(connection, outbox, buckets, stats)
            return
        # One deadline for the whole wait: in the queue and then in SQLite's busy
        # handler. While another process holds the database, every queued request
        # gives up after DATABASE_TIMEOUT, not one timeout after the other.
        deadline = time.monotonic() + self.timeout
        if not self._thread_lock.acquire(timeout=self.timeout):
            raise sqlite3.OperationalError("database is locked (writers queued too long)")
        try:
            if self._lock_fd is None:
                self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            try:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise sqlite3.OperationalError("database is locked (writers queued too long)")
                if left < self.timeout - QUEUE_SLACK:
                    # Waited in the queue (the database is held elsewhere): only
                    # the rest of the timeout is left for SQLite's busy handler.
                    connection.execute(f"PRAGMA busy_timeout={max(int(left * 1000), 1)}")
                    try:
                        self._run(connection, outbox, buckets, stats)
                    finally:
                        connection.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
                else:
                    self._run(connection, outbox, buckets, stats)
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def _run(
        self,
        connection: Any,
        outbox: list[tuple[Any, ...]],
        buckets: list[tuple[Any, ...]],
        stats: list[tuple[Any, ...]],
    ) -> None:
        """The statements and the commit; on any error nothing of them stays."""
        try:
            cursor = connection.cursor()
            for statement, rows in (
                (self.insert_outbox, outbox),
                (self.upsert_bucket, buckets),
                (self.upsert_stat, stats),
            ):
                # Most requests carry one row per table: execute() skips the
                # per-call iterator machinery of executemany().
                if len(rows) == 1:
                    cursor.execute(statement, rows[0])
                elif rows:
                    cursor.executemany(statement, rows)
            cursor.close()
            connection.commit()
        except BaseException:
            connection.rollback()
            raise

    def _dt(self, value: datetime) -> Any:
        return self._datetime(value) if self._datetime else value

    def _day(self, value: date) -> Any:
        return self._date(value) if self._date else value

    def write(self, outcome: Outcome, site: str, now: datetime) -> None:
        """Store what one request produced, in one transaction."""
        if not (outcome.outbox_rows or outcome.aggregates or outcome.stats):
            return
        created = self._dt(now)
        outbox = [
            (
                row["site"],
                row["mode"],
                row["client_id"],
                row["user_location_json"],
                row["device_json"],
                row["event_json"],
                row["timestamp_micros"],
                OUTBOX_PENDING,
                0,
                created,
                created,
            )
            for row in outcome.outbox_rows
        ]
        engagement = outcome.engagement
        buckets = [
            (self._dt(key.window_start), *key[1:], count, engagement.get(key, 0))
            for key, count in sorted(outcome.aggregates.items())
        ]
        day = self._day(now.date())
        stats = [
            (day, site, result, reason, count)
            for (result, reason), count in sorted(outcome.stats.items())
        ]
        try:
            self._write(outbox, buckets, stats)
        except self._errors as exc:
            # The driver's message names tables and statements, never row values.
            log.error("collect write failed: %s", type(exc).__name__)
            raise StoreUnavailable(str(type(exc).__name__)) from exc

    def read(self, query: Callable[[Any], T]) -> T:
        """``query(cursor)`` on the connection the writes use (kept per thread on
        SQLite and PostgreSQL, pooled elsewhere), as its own short statement:
        nothing stays open, no snapshot is held past it.

        Raises StoreUnavailable when the database fails.
        """
        try:
            kept = self._kept_connection()
            connection: Any = kept if kept is not None else self.engine.raw_connection()
            server = kept is not None and self._keep_server_connection
            try:
                if server:
                    # One statement, no transaction to open and to end (two round trips).
                    connection.autocommit = True
                cursor = connection.cursor()
                try:
                    return query(cursor)
                finally:
                    cursor.close()
                    if server:
                        connection.autocommit = False
            except BaseException:
                if server:
                    self._drop_kept()
                raise
            finally:
                if kept is None:
                    connection.close()
        except self._errors as exc:
            log.error("collect read failed: %s", type(exc).__name__)
            raise StoreUnavailable(str(type(exc).__name__)) from exc

    def _write(
        self,
        outbox: list[tuple[Any, ...]],
        buckets: list[tuple[Any, ...]],
        stats: list[tuple[Any, ...]],
    ) -> None:
        kept = self._kept_connection()
        # The pool checkout happens outside the write lock, which is held only
        # for the statements and the commit.
        connection = kept if kept is not None else self.engine.raw_connection()
        try:
            self._locked_run(connection, outbox, buckets, stats)
        except BaseException:
            if kept is not None and self._keep_server_connection:
                # The server may be gone or the connection broken: the next
                # request opens a new one (this one is answered 503, nothing kept).
                self._drop_kept()
            raise
        finally:
            if kept is None:
                connection.close()

    def _drop_kept(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # already broken: nothing more to release
                log.debug("closing a broken connection failed", exc_info=True)

    def _kept_connection(self) -> Any:
        """One DB-API connection kept per thread, on SQLite (a file) and PostgreSQL.

        On SQLite opening one is cheap, but a pool checkout and its reset cost
        as much as the insert itself. On PostgreSQL a checkout also pings the
        server (pool_pre_ping) and its return rolls back: two round trips more
        than the beacon's own statements. A kept connection that fails is
        dropped, and the next request opens a new one. Kept per process as well:
        a connection opened before a fork is never used by the child.
        """
        if self._lock_path is None and not self._keep_server_connection:
            return None
        pid = os.getpid()
        connection = getattr(self._local, "connection", None)
        if connection is not None and self._local.pid == pid:
            return connection
        if self._lock_path is not None:
            dialect = self.engine.dialect
            cargs, cparams = dialect.create_connect_args(self.engine.url)
            connection = dialect.connect(*cargs, **{**cparams, "timeout": self.timeout})
            sqlite_pragmas(connection, self.timeout)
            # Each write by another worker invalidates this connection's page
            # cache; with the file memory-mapped, reading pages back is cheap.
            connection.execute("PRAGMA mmap_size=268435456")
        else:
            # Opened by the engine (its connect arguments: timeouts, lock_timeout),
            # then taken out of its pool: this thread alone uses it from now on.
            fairy = self.engine.raw_connection()
            fairy.detach()
            connection = fairy.dbapi_connection
        self._local.connection = connection
        self._local.pid = pid
        return connection
