"""User management: change a role, deactivate and reactivate (creation lives in auth).

The gateway must always keep one active admin: nobody can remove the last one,
and nobody can lock themselves out by deactivating or demoting their own account.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gateway.admin.auth import UserError
from gateway.admin.models import ROLES, StaffSession, User


def list_users(session: Session) -> list[User]:
    return list(session.scalars(sa.select(User).order_by(User.active.desc(), User.email)))


def _active_admins(session: Session) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count()).where(User.role == "admin", User.active.is_(True))
        )
        or 0
    )


def change_role(session: Session, actor: User, user: User, role: str) -> bool:
    """Give ``user`` ``role``; False when it already had it."""
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if user.role == role:
        return False
    if user.id == actor.id:
        raise UserError("you cannot change your own role; ask another admin")
    if user.role == "admin" and user.active and _active_admins(session) <= 1:
        raise UserError("this is the last active admin; make someone else admin first")
    user.role = role
    return True


def set_active(session: Session, actor: User, user: User, active: bool) -> bool:
    """Deactivate (signing the user out everywhere) or reactivate; False when unchanged."""
    if user.active == active:
        return False
    if not active:
        if user.id == actor.id:
            raise UserError("you cannot deactivate your own account")
        if user.role == "admin" and _active_admins(session) <= 1:
            raise UserError("this is the last active admin; make someone else admin first")
        session.execute(sa.delete(StaffSession).where(StaffSession.user_id == user.id))
    user.active = active
    return True
