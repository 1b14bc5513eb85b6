"""Staff sign-in: hashed passwords, server-side sessions, and view decorators.

The session cookie (``__Host-session``, Secure, HttpOnly, SameSite=Lax) holds
only a random session id; the database keeps its SHA-256, so a copy of the
database cannot be used to sign in. Signing in always issues a new id
(no session fixation); signing out deletes it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache, wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort, g, redirect, request, session, url_for
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.urls import iri_to_uri
from werkzeug.wrappers import Response

from gateway.admin.models import ROLES, StaffSession, User
from gateway.extensions import db, limiter
from gateway.i18n import LANGUAGES
from gateway.timeutil import utcnow

SESSION_KEY = "staff_sid"
IDLE_TIMEOUT = timedelta(hours=8)
ABSOLUTE_TIMEOUT = timedelta(hours=24)
MIN_PASSWORD_LENGTH = 12

F = TypeVar("F", bound=Callable[..., Any])


class UserError(ValueError):
    """A user cannot be created as asked; the message says why."""


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(session: Session, email: str, password: str, role: str = "staff") -> User:
    email = normalise_email(email)
    if "@" not in email or len(email) > 254 or _has_control(email) or " " in email:
        raise UserError("expected an e-mail address")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(sa.select(User).where(User.email == email)) is not None:
        raise UserError(f"a user {email} already exists")
    user = User(email=email, password_hash=generate_password_hash(password), role=role)
    session.add(user)
    return user


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked when the e-mail is unknown, so both cases take the same time."""
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same time either way)."""
    user = session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def set_language(user: User, language: str) -> None:
    """The language of ``user``'s staff pages; anything but a known code is refused."""
    if language not in LANGUAGES:
        raise UserError(f"the language is one of {', '.join(LANGUAGES)}")
    user.language = language


def change_password(session: Session, user: User, current: str, new: str, keep_sid: str) -> None:
    """``user`` replaces their own password, proving the current one first.

    Every other session of theirs ends (a stolen session dies with the old
    password); the one they are using (``keep_sid``) stays signed in.
    """
    if not check_password_hash(user.password_hash, current):
        raise UserError("the current password is not right")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the new password needs at least {MIN_PASSWORD_LENGTH} characters")
    if new == current:
        raise UserError("the new password is the same as the current one")
    user.password_hash = generate_password_hash(new)
    session.execute(
        sa.delete(StaffSession).where(
            StaffSession.user_id == user.id, StaffSession.id != _digest(keep_sid)
        )
    )


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def start_session(user: User) -> None:
    """Sign ``user`` in with a fresh session id (any previous one is ended)."""
    database = db.session()
    old = session.get(SESSION_KEY)
    if isinstance(old, str):
        database.execute(sa.delete(StaffSession).where(StaffSession.id == _digest(old)))
    session.clear()  # also renews the CSRF token
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    database.add(StaffSession(id=_digest(sid), user_id=user.id, created_at=now, last_seen_at=now))
    user.last_login_at = now
    database.commit()
    session[SESSION_KEY] = sid


def end_session() -> None:
    sid = session.get(SESSION_KEY)
    if isinstance(sid, str):
        database = db.session()
        database.execute(sa.delete(StaffSession).where(StaffSession.id == _digest(sid)))
        database.commit()
    session.clear()


def _expired(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        StaffSession.last_seen_at < now - IDLE_TIMEOUT,
        StaffSession.created_at < now - ABSOLUTE_TIMEOUT,
    )


def count_expired_sessions(now: datetime) -> int:
    query = sa.select(sa.func.count()).select_from(StaffSession).where(_expired(now))
    return int(db.session.scalar(query) or 0)


def purge_expired_sessions(now: datetime, batch: int) -> int:
    session = db.session()
    ids = list(session.scalars(sa.select(StaffSession.id).where(_expired(now)).limit(batch)))
    if ids:
        session.execute(sa.delete(StaffSession).where(StaffSession.id.in_(ids)))
        session.commit()
    return len(ids)


def _session_alive(row: StaffSession, now: datetime) -> bool:
    return now - row.last_seen_at < IDLE_TIMEOUT and now - row.created_at < ABSOLUTE_TIMEOUT


def current_user() -> User | None:
    if "staff_user" in g:
        return g.staff_user  # type: ignore[no-any-return]
    user = None
    sid = session.get(SESSION_KEY)
    if isinstance(sid, str):
        database = db.session()
        row = database.get(StaffSession, _digest(sid))
        now = utcnow()
        if row is not None and _session_alive(row, now):
            candidate = database.get(User, row.user_id)
            if candidate is not None and candidate.active:
                user = candidate
                if now - row.last_seen_at > timedelta(minutes=1):
                    row.last_seen_at = now
                    database.commit()
    g.staff_user = user
    return user


def remember_staff_language() -> None:
    """Before each staff page: the signed-in member's language for ``request_language``."""
    if request.path == "/admin" or request.path.startswith("/admin/"):
        user = current_user()
        if user is not None:
            g.staff_language = user.language


def login_account_key() -> str:
    """The per-account sign-in limit's key: a digest of the typed address, never the address."""
    typed = normalise_email(request.form.get("email", "")[:254])
    return "account:" + hashlib.sha256(typed.encode()).hexdigest()[:32]


def _login_redirect() -> Response:
    """To the sign-in page, coming back here afterwards (as ASCII, see gateway.redirects)."""
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("admin.login", next=iri_to_uri(target)))


def login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return _login_redirect()
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


# The 403 page of a page for another role, in the signed-in member's language.
WRONG_ROLE = {
    "en": "This page is for the {role} role; you are signed in as {yours}. "
    "Ask an admin if you need it.",
    "ru": "Эта страница — для роли {role}, а вы вошли с ролью {yours}. "
    "Если она вам нужна, обратитесь к администратору.",
}


def role_required(role: str) -> Callable[[F], F]:
    """Signed-in users with ``role`` (admins may do everything staff may)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return _login_redirect()
            if user.role != role and user.role != "admin":
                refusal = WRONG_ROLE.get(user.language, WRONG_ROLE["en"])
                abort(403, description=refusal.format(role=role, yours=user.role))
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


admin_required = role_required("admin")

# Every staff write (behind the sign-in) draws on one generous budget per client
# address: a person working through the queue never meets it, a runaway script
# or a stolen session does. Declared above the sign-in check on each route, so
# anonymous posts to those addresses count too.
STAFF_WRITE_LIMIT = "120 per minute;2000 per hour"
staff_writes = limiter.shared_limit(STAFF_WRITE_LIMIT, scope="staff-writes", methods=["POST"])
