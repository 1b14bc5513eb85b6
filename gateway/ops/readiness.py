"""Readiness: the database answers, its schema is at the migration head, and the
tables every request writes are not locked by another session."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from gateway.dbcli import current_revisions, head_revisions

# Longest wait of the probe for the write tables (less when DATABASE_TIMEOUT is).
LOCK_WAIT = 1.0
# What /api/v1/collect and /api/v1/consent write.
HOT_TABLES = (
    "outbox_events",
    "aggregate_counts",
    "collect_stats",
    "consent_records",
    "consent_chain_head",
)


def check(engine: Engine, lock_wait: float = LOCK_WAIT) -> str | None:
    """None when ready; otherwise the reason, in words an operator can act on.

    ``lock_wait`` is how long the probe waits for the write tables before it
    calls them locked (a table lock by another session, or on SQLite another
    process holding the write lock).
    """
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = current_revisions(engine)
    except SQLAlchemyError as exc:
        return f"database unreachable: {type(exc).__name__}"
    heads = head_revisions()
    if current != heads:
        have = ", ".join(sorted(current)) or "empty"
        want = ", ".join(sorted(heads))
        return f"database schema at {have}, expected {want}: run `gateway db upgrade`"
    try:
        with engine.connect() as conn:
            _probe_writes(conn, lock_wait)
    except OperationalError as exc:
        return (
            f"database locked: writes wait more than {lock_wait:g} s "
            f"(another session holds a lock; {type(exc.orig).__name__})"
        )
    except SQLAlchemyError as exc:
        return f"database unreachable: {type(exc).__name__}"
    return None


def _probe_writes(conn: Connection, lock_wait: float) -> None:
    """Take, and give back at once, the lock an insert into the hot tables needs."""
    millis = max(int(lock_wait * 1000), 1)
    if conn.dialect.name == "sqlite":
        previous = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
        conn.exec_driver_sql(f"PRAGMA busy_timeout={millis}")
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            conn.rollback()
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={int(previous or 0)}")
        return
    if conn.dialect.name == "postgresql":
        # ROW EXCLUSIVE is what an INSERT takes: it waits exactly for the locks
        # that would hold up a request's write, and blocks no other writer.
        conn.execute(text(f"SET LOCAL lock_timeout = {millis}"))
        tables = ", ".join(HOT_TABLES)
        conn.execute(text(f"LOCK TABLE {tables} IN ROW EXCLUSIVE MODE"))
        conn.rollback()
