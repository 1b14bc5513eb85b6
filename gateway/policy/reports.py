"""Dashboard panel for the privacy policy: the version in force and what is announced."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from gateway.admin.dashboard import DateRange, Figure, Panel
from gateway.policy.store import version_records
from gateway.policy.versions import VersionInfo, state, status_of
from gateway.timeutil import today


def policy_panel(session: Session, period: DateRange, site: str | None) -> Panel:
    records = version_records(session)
    day = today()
    infos = [VersionInfo(r.number, r.effective_date, r.material, r.summary) for r in records]
    now = state(infos, day)
    start = datetime.combine(period.start, time.min)
    end = datetime.combine(period.end + timedelta(days=1), time.min)
    published = [r for r in records if start <= r.published_at < end]
    material_ahead = any(v.material for v in now.upcoming)
    current = now.current
    shown = [r for r in reversed(records) if status_of(infos, r.number, day) != "superseded"]
    return Panel(
        id="policy",
        title="Privacy policy",
        figures=(
            Figure(
                f"in force since {current.effective_date.isoformat()}" if current else "in force",
                f"v{current.number}" if current else "none",
                "" if current else "bad",
            ),
            Figure(
                "announced, not yet in force"
                + ("; material: visitors will be asked again" if material_ahead else ""),
                str(len(now.upcoming)),
                "warn" if material_ahead else "",
            ),
            Figure("published in range", str(len(published))),
        ),
        headers=("version", "takes effect", "status", "material", "languages", "summary"),
        rows=tuple(
            (
                str(r.number),
                r.effective_date.isoformat(),
                status_of(infos, r.number, day),
                "yes" if r.material else "no",
                ", ".join(r.languages),
                r.summary,
            )
            for r in shown
        ),
        note="The policy is the same on every site."
        if site
        else "Consent is measured against the newest material version in force.",
        links=(("All versions, as readers see them", "policy.versions"),),
    )
