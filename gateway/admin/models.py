from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base
from gateway.timeutil import utcnow

ROLES = ("admin", "staff")


class User(Base):
    """A staff member who signs in to /admin. Passwords are stored hashed only."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16), default="staff")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    # The language of the staff pages for this person ("ru" or "en"), their own choice.
    language: Mapped[str] = mapped_column(sa.String(2), default="en", server_default="en")


class StaffSession(Base):
    """A signed-in staff session; the cookie holds only its random id.

    Server-side rows let login rotate the id, logout end it for good, and
    deactivating a user end all of their sessions.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
