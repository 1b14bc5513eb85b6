"""Readiness: the database answers and its schema is at the migration head."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from gateway.dbcli import current_revisions, head_revisions


def check(engine: Engine) -> str | None:
    """None when ready; otherwise the reason, in words an operator can act on."""
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
    return None
