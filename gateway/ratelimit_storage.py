"""A rate-limit storage in one SQLite file: the counters every worker of a node shares.

Flask-Limiter's ``memory://`` storage counts per process, so each gunicorn
worker (and each thread pool in it) had its own budget: "10 per minute" let
10 × workers through. This storage (``sqlite:///<path>``, the default being
``{instance}/ratelimits.db``) keeps the fixed-window counters of the ``limits``
library in one table of a local SQLite file, which every process on the host
opens: a limit holds per node. Several nodes still need Redis.

Each increment is one ``INSERT … ON CONFLICT … RETURNING`` statement, atomic
under SQLite's write lock. The file is a cache: WAL and ``synchronous=OFF``,
since losing it (or its last writes in a power cut) only resets counters.
Keys are what the limiter builds (a daily keyed hash of the client, the route,
the limit), never an address.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from limits.storage import Storage

SCHEME = "sqlite"
# How long a writer waits for another process's write before giving up (the
# limiter then swallows the error and the request goes on).
_BUSY_TIMEOUT_SECONDS = 2.0
# Expired windows are deleted once every this many increments of a connection.
_SWEEP_EVERY = 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL,
    expiry REAL NOT NULL
) WITHOUT ROWID
"""


def storage_path(uri: str) -> Path:
    """The file of a ``sqlite:///relative`` or ``sqlite:////absolute`` URL."""
    prefix = f"{SCHEME}:///"
    if not uri.startswith(prefix) or len(uri) == len(prefix):
        raise ValueError(
            f"rate-limit storage {uri!r}: expected sqlite:///path/to/file "
            "(four slashes for an absolute path)"
        )
    return Path(uri[len(prefix) :])


class SQLiteStorage(Storage):
    """Fixed-window counters in a SQLite file shared by the processes of one host."""

    STORAGE_SCHEME = [SCHEME]  # noqa: RUF012  (the base class declares it per instance)

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: Any) -> None:
        self.path = storage_path(uri)
        self._local = threading.local()
        self._ready = False
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread and per process: a forked worker opens its own.
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            if not self._ready:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            opened = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_SECONDS, isolation_level=None)
            opened.execute("PRAGMA journal_mode=WAL")
            opened.execute("PRAGMA synchronous=OFF")
            opened.execute(_SCHEMA)
            self._ready = True
            local.conn, local.pid, local.increments = opened, os.getpid(), 0
        conn: sqlite3.Connection = local.conn
        return conn

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        conn = self._connection()
        now = time.time()
        row = conn.execute(
            "INSERT INTO counters (key, value, expiry) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET "
            "value = CASE WHEN expiry <= ? THEN excluded.value ELSE value + excluded.value END, "
            "expiry = CASE WHEN expiry <= ? THEN excluded.expiry ELSE expiry END "
            "RETURNING value",
            (key, amount, now + expiry, now, now),
        ).fetchone()
        self._local.increments += 1
        if self._local.increments % _SWEEP_EVERY == 0:
            conn.execute("DELETE FROM counters WHERE expiry <= ?", (now,))
        return int(row[0])

    def get(self, key: str) -> int:
        row = (
            self._connection()
            .execute("SELECT value FROM counters WHERE key = ? AND expiry > ?", (key, time.time()))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = (
            self._connection()
            .execute("SELECT expiry FROM counters WHERE key = ? AND expiry > ?", (key, now))
            .fetchone()
        )
        return float(row[0]) if row else now

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return int(self._connection().execute("DELETE FROM counters").rowcount)

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))
