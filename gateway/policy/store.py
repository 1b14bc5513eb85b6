"""Reading and writing policy versions in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from gateway.policy import publishing
from gateway.policy.models import PolicyText, PolicyVersion
from gateway.policy.rendering import split_title
from gateway.policy.versions import PolicyState, VersionInfo, newer_than, state
from gateway.timeutil import today as utc_today

SEED_DIR = Path(__file__).resolve().parent / "seed"
# Version 1: the policy in force when the gateway was introduced.
INITIAL_EFFECTIVE_DATE = date(2026, 1, 1)
INITIAL_SUMMARIES = {"en": "Initial version", "ru": "Первая редакция"}


@dataclass(frozen=True)
class TextRecord:
    lang: str
    title: str
    markdown: str
    summary: str


@dataclass(frozen=True)
class VersionRecord:
    number: int
    effective_date: date
    material: bool
    summary: str
    published_at: datetime
    texts: dict[str, TextRecord]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.texts))

    def summary_in(self, lang: str) -> str:
        text = self.texts.get(lang)
        return (text.summary if text else "") or self.summary

    def own_summary(self, lang: str) -> tuple[str, str]:
        """The summary in ``lang`` when this version has a text in it, else the summary
        of a language it has, with that language's code: readers are told which."""
        text = self.texts.get(lang)
        if text is not None:
            return (text.summary or self.summary), lang
        for code in self.languages:
            if self.texts[code].summary:
                return self.texts[code].summary, code
        return self.summary, self.languages[0] if self.texts else lang


# Versions that count: every one but those cancelled before they took effect.
LIVE = PolicyVersion.cancelled_at.is_(None)


def version_infos(session: Session) -> list[VersionInfo]:
    rows = session.execute(
        sa.select(
            PolicyVersion.number,
            PolicyVersion.effective_date,
            PolicyVersion.material,
            PolicyVersion.summary,
        )
        .where(LIVE)
        .order_by(PolicyVersion.number)
    ).all()
    return [VersionInfo(r.number, r.effective_date, r.material, r.summary) for r in rows]


def policy_state(session: Session, today: date | None = None) -> PolicyState:
    """Current version, the version consent is measured against, and upcoming ones."""
    return state(version_infos(session), today or utc_today())


def _record(version: PolicyVersion) -> VersionRecord:
    return VersionRecord(
        number=version.number,
        effective_date=version.effective_date,
        material=version.material,
        summary=version.summary,
        published_at=version.published_at,
        texts={t.lang: TextRecord(t.lang, t.title, t.markdown, t.summary) for t in version.texts},
    )


def version_records(session: Session) -> list[VersionRecord]:
    """Every version with its texts, oldest first."""
    versions = session.scalars(
        sa.select(PolicyVersion)
        .options(selectinload(PolicyVersion.texts))
        .where(LIVE)
        .order_by(PolicyVersion.number)
    ).all()
    return [_record(v) for v in versions]


def version_record(session: Session, number: int) -> VersionRecord | None:
    if not 0 < number < 2**31:  # beyond the column's range: no such version
        return None
    version = session.scalar(
        sa.select(PolicyVersion)
        .options(selectinload(PolicyVersion.texts))
        .where(PolicyVersion.number == number, LIVE)
    )
    return _record(version) if version else None


def changes_since(
    session: Session,
    after: int,
    lang: str = "en",
    today: date | None = None,
    *,
    include_upcoming: bool = False,
) -> list[VersionInfo]:
    """Versions newer than ``after`` (e.g. the one a visitor consented to), with their
    summaries in ``lang`` when the version has that translation: the banner's "what changed".
    Only versions in effect by ``today`` unless ``include_upcoming``."""
    infos = newer_than(
        version_infos(session), after, today or utc_today(), include_upcoming=include_upcoming
    )
    if not infos:
        return []
    localized = dict(
        session.execute(
            sa.select(PolicyVersion.number, PolicyText.summary)
            .join(PolicyText)
            .where(
                PolicyText.lang == lang,
                PolicyText.summary != "",
                PolicyVersion.number.in_([i.number for i in infos]),
            )
        ).all()
    )
    return [
        VersionInfo(i.number, i.effective_date, i.material, localized.get(i.number) or i.summary)
        for i in infos
    ]


def publish_version(
    session: Session,
    *,
    text: str,
    lang: str,
    effective: date,
    summary: str,
    material: bool,
    today: date | None = None,
) -> int:
    """Add the next version (one language text); checks everything before writing.

    Raises PublishError with a message for the operator; the caller commits."""
    lang = publishing.check_language(lang)
    title, body = split_title(text, lang)
    publishing.check_text(title, body)
    summary = publishing.check_summary(summary, required=True)
    versions = version_infos(session)
    publishing.check_new_version(versions, effective, today or utc_today())
    # Numbers are never reused, not even a cancelled version's.
    number = int(session.scalar(sa.select(sa.func.max(PolicyVersion.number))) or 0) + 1
    version = PolicyVersion(
        number=number, effective_date=effective, summary=summary, material=material
    )
    version.texts.append(PolicyText(lang=lang, title=title, markdown=body, summary=summary))
    session.add(version)
    session.flush()
    return number


def add_translation(
    session: Session,
    *,
    number: int,
    text: str,
    lang: str,
    summary: str = "",
    today: date | None = None,
) -> None:
    """Give an existing current or upcoming version its text in another language."""
    lang = publishing.check_language(lang)
    title, body = split_title(text, lang)
    publishing.check_text(title, body)
    summary = publishing.check_summary(summary, required=False)
    if not 0 < number < 2**31:
        raise publishing.PublishError(f"there is no version {number}", "no_version", number=number)
    version = session.scalar(
        sa.select(PolicyVersion)
        .options(selectinload(PolicyVersion.texts))
        .where(PolicyVersion.number == number, LIVE)
    )
    languages = [t.lang for t in version.texts] if version else []
    publishing.check_translation(
        version_infos(session), number, languages, lang, today or utc_today()
    )
    assert version is not None
    version.texts.append(PolicyText(lang=lang, title=title, markdown=body, summary=summary))
    session.flush()


def cancel_upcoming(
    session: Session, number: int, now: datetime, today: date | None = None
) -> None:
    """Cancel an announced version before it takes effect (the newest one first).

    Only a version not yet in force can be cancelled, and only when no later
    version builds on it; it is kept, marked cancelled, and no reader sees it again.
    Raises PublishError saying why not; the caller commits."""
    today = today or utc_today()
    version = (
        session.scalar(sa.select(PolicyVersion).where(PolicyVersion.number == number, LIVE))
        if 0 < number < 2**31
        else None
    )
    if version is None:
        raise publishing.PublishError(
            f"there is no version {number} to cancel", "no_version_to_cancel", number=number
        )
    if version.effective_date <= today:
        raise publishing.PublishError(
            f"version {number} is already in force (since {version.effective_date.isoformat()});"
            " publish a new version instead",
            "in_force",
            number=number,
            since=version.effective_date,
        )
    later = session.scalar(
        sa.select(sa.func.max(PolicyVersion.number)).where(PolicyVersion.number > number, LIVE)
    )
    if later is not None:
        raise publishing.PublishError(
            f"version {later} is announced after it; cancel version {later} first",
            "later_announced",
            number=number,
            later=later,
        )
    version.cancelled_at = now
    session.flush()


def load_initial_version(session: Session) -> bool:
    """Version 1 from the seed texts when no policy exists yet; False when there is one."""
    if session.scalar(sa.select(sa.func.count()).select_from(PolicyVersion)):
        return False
    version = PolicyVersion(
        number=1,
        effective_date=INITIAL_EFFECTIVE_DATE,
        summary=INITIAL_SUMMARIES["en"],
        material=True,
    )
    for path in sorted(SEED_DIR.glob("v1.*.md")):
        lang = path.name.split(".")[1]
        title, body = split_title(path.read_text(encoding="utf-8"), lang)
        version.texts.append(
            PolicyText(lang=lang, title=title, markdown=body, summary=INITIAL_SUMMARIES[lang])
        )
    session.add(version)
    session.flush()
    return True
