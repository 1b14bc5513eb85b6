"""Which policy version applies when: pure functions over version facts.

A version becomes current on its effective date, with no scheduled job: every
question is answered from the list of versions and today's date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class VersionInfo:
    number: int
    effective_date: date
    material: bool
    summary: str = ""


@dataclass(frozen=True)
class PolicyState:
    current: VersionInfo | None
    # The version consent decisions are measured against: the newest effective
    # material version (a non-material change does not ask visitors again).
    consent_version: int
    upcoming: tuple[VersionInfo, ...]


def effective(versions: Sequence[VersionInfo], today: date) -> list[VersionInfo]:
    return sorted((v for v in versions if v.effective_date <= today), key=lambda v: v.number)


def current(versions: Sequence[VersionInfo], today: date) -> VersionInfo | None:
    live = effective(versions, today)
    return live[-1] if live else None


def upcoming(versions: Sequence[VersionInfo], today: date) -> tuple[VersionInfo, ...]:
    return tuple(sorted((v for v in versions if v.effective_date > today), key=lambda v: v.number))


def consent_version(versions: Sequence[VersionInfo], today: date) -> int:
    live = effective(versions, today)
    material = [v.number for v in live if v.material]
    if material:
        return max(material)
    return live[0].number if live else 0


def state(versions: Sequence[VersionInfo], today: date) -> PolicyState:
    return PolicyState(
        current(versions, today), consent_version(versions, today), upcoming(versions, today)
    )


def status_of(versions: Sequence[VersionInfo], number: int, today: date) -> str:
    """``current``, ``upcoming`` or ``superseded`` (older than the current version)."""
    now = current(versions, today)
    if now is not None and now.number == number:
        return "current"
    if any(v.number == number for v in upcoming(versions, today)):
        return "upcoming"
    return "superseded"


def newer_than(
    versions: Sequence[VersionInfo], after: int, today: date, *, include_upcoming: bool = False
) -> list[VersionInfo]:
    """Versions after ``after`` in order (effective ones only unless asked): "what changed"."""
    return sorted(
        (
            v
            for v in versions
            if v.number > after and (include_upcoming or v.effective_date <= today)
        ),
        key=lambda v: v.number,
    )
