"""Reading policy versions from the database."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gateway.policy.models import PolicyVersion
from gateway.policy.versions import PolicyState, VersionInfo, state
from gateway.timeutil import today as utc_today


def version_infos(session: Session) -> list[VersionInfo]:
    rows = session.execute(
        sa.select(
            PolicyVersion.number,
            PolicyVersion.effective_date,
            PolicyVersion.material,
            PolicyVersion.summary,
        ).order_by(PolicyVersion.number)
    ).all()
    return [VersionInfo(r.number, r.effective_date, r.material, r.summary) for r in rows]


def policy_state(session: Session, today: date | None = None) -> PolicyState:
    """Current version, the version consent is measured against, and upcoming ones."""
    return state(version_infos(session), today or utc_today())
