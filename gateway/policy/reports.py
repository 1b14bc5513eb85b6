"""Dashboard panel for the privacy policy: the version in force and what is announced."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from gateway.admin.dashboard import DateRange, Figure, Panel
from gateway.policy.store import version_records
from gateway.policy.texts import ui
from gateway.policy.versions import VersionInfo, state, status_of
from gateway.timeutil import today

# English first, Russian second: every word of the panel.
WORDS = {
    "title": ("Privacy policy", "Политика конфиденциальности"),
    "in_force_since": ("in force since {date}", "действует с {date}"),
    "in_force": ("in force", "действует"),
    "none": ("none", "нет"),
    "announced": ("announced, not yet in force", "объявлена, ещё не действует"),
    "material": (
        "; material: visitors will be asked again",
        "; существенная: посетителей спросят снова",
    ),
    "published": ("published in range", "опубликовано за период"),
    "yes": ("yes", "да"),
    "no": ("no", "нет"),
    "note_site": ("The policy is the same on every site.", "Политика одна для всех сайтов."),
    "note": (
        "Consent is measured against the newest material version in force.",
        "Согласие сверяется с новейшей действующей существенной версией.",
    ),
    "link": ("All versions, as readers see them", "Все версии, как их видят читатели"),
}
HEADERS = (
    ("version", "takes effect", "status", "material", "languages", "summary"),
    ("версия", "вступает в силу", "статус", "существенная", "языки", "кратко"),
)


def word(key: str, lang: str) -> str:
    english, russian = WORDS[key]
    return russian if lang == "ru" else english


def policy_panel(session: Session, period: DateRange, site: str | None, lang: str = "en") -> Panel:
    statuses = ui(lang)
    headers = HEADERS[1 if lang == "ru" else 0]
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
        title=word("title", lang),
        figures=(
            Figure(
                word("in_force_since", lang).format(date=current.effective_date.isoformat())
                if current
                else word("in_force", lang),
                f"v{current.number}" if current else word("none", lang),
                "" if current else "bad",
            ),
            Figure(
                word("announced", lang) + (word("material", lang) if material_ahead else ""),
                str(len(now.upcoming)),
                "warn" if material_ahead else "",
            ),
            Figure(word("published", lang), str(len(published))),
        ),
        headers=tuple(headers),
        rows=tuple(
            (
                str(r.number),
                r.effective_date.isoformat(),
                statuses.get(status_of(infos, r.number, day), status_of(infos, r.number, day)),
                word("yes", lang) if r.material else word("no", lang),
                ", ".join(r.languages),
                r.summary,
            )
            for r in shown
        ),
        note=word("note_site", lang) if site else word("note", lang),
        links=((word("link", lang), "policy.versions"),),
    )
