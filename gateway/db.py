"""SQLAlchemy engine and session, bound to the app; Alembic migrations run from the CLI."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


# Seconds a statement waits for a lock, and a connection for the server, unless
# the DATABASE_TIMEOUT setting says otherwise.
DEFAULT_TIMEOUT = 5.0


def sqlite_pragmas(dbapi_connection: Any, timeout: float = DEFAULT_TIMEOUT) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, timeout: float = DEFAULT_TIMEOUT) -> Engine:
    """An engine with the pragmas and pool settings the gateway relies on.

    ``timeout`` bounds how long a statement waits for a lock held by another
    session (SQLite's busy timeout, PostgreSQL's ``lock_timeout``) and how long
    a new PostgreSQL connection waits for the server, so a locked table or an
    unreachable database turns into an error (a 503 for clients) instead of a
    worker stuck for good.
    """
    sa_url = sa.make_url(url)
    if sa_url.get_backend_name() == "sqlite":
        database = sa_url.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": timeout})

        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            sqlite_pragmas(dbapi_connection, timeout)

        event.listen(engine, "connect", _pragmas)
        return engine
    connect_args: dict[str, Any] = {}
    if sa_url.get_backend_name() == "postgresql":
        connect_args = {
            # libpq counts whole seconds and treats anything under 2 as 2.
            "connect_timeout": max(2, math.ceil(timeout)),
            "options": f"-c lock_timeout={int(timeout * 1000)}",
        }
    return sa.create_engine(
        url, pool_pre_ping=True, pool_size=5, max_overflow=10, connect_args=connect_args
    )


class AppBoundSession(Session):
    """A session that uses the engine of the app in the current context."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Engine:
        return current_app.extensions["gateway.db"]  # type: ignore[no-any-return]


class Database:
    """Flask extension: one engine per app and a session scoped to the app context."""

    def __init__(self) -> None:
        self.session: scoped_session[Session] = scoped_session(
            sessionmaker(class_=AppBoundSession, expire_on_commit=False)
        )

    def init_app(self, app: Flask) -> None:
        app.extensions["gateway.db"] = make_engine(
            app.config["DATABASE_URL"], app.config["DATABASE_TIMEOUT"]
        )
        app.teardown_appcontext(self._remove_session)

        from gateway import dbcli

        app.cli.add_command(dbcli.db_group)

    def _remove_session(self, _exc: BaseException | None) -> None:
        # Most requests of the hot path (beacons) never open a session.
        if self.session.registry.has():
            self.session.remove()

    @property
    def engine(self) -> Engine:
        engine = current_app.extensions.get("gateway.db")
        if engine is None:
            raise RuntimeError("the database is not bound to this app")
        return engine  # type: ignore[no-any-return]

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed together, or rolled back on error."""
        session = self.session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"
