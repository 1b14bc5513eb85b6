"""Checks a new policy version or translation must pass before anything is written (pure)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from gateway.i18n import LANGUAGES
from gateway.jsonbody import storable_text
from gateway.policy.versions import VersionInfo, current, status_of

MAX_TITLE = 200
MAX_SUMMARY = 2000
MAX_TEXT = 500_000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PublishError(ValueError):
    """The version cannot be published; the message says why and what to do."""


def parse_effective_date(value: str) -> date:
    text = value.strip()
    if not _DATE.match(text):
        raise PublishError(f"effective date {value!r} is not a date like 2026-03-01 (YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise PublishError(f"effective date {value!r} is not a real date: {exc}") from exc


def check_language(lang: str) -> str:
    code = lang.strip().lower()
    if code not in LANGUAGES:
        raise PublishError(f"language {lang!r} is not supported; use one of {', '.join(LANGUAGES)}")
    return code


def _unstorable(text: str) -> bool:
    """NUL or a lone surrogate: characters neither database can keep as text."""
    return storable_text(text) != text


def check_text(title: str, body: str) -> None:
    if _unstorable(title) or _unstorable(body):
        raise PublishError(
            "the policy text contains a NUL character (\\x00) or a lone surrogate; remove it"
        )
    if not body.strip():
        raise PublishError("the policy text is empty")
    if len(body) > MAX_TEXT:
        raise PublishError(f"the policy text is longer than {MAX_TEXT} characters")
    if len(title) > MAX_TITLE:
        raise PublishError(f"the title (first '# ' line) is longer than {MAX_TITLE} characters")


def check_summary(summary: str, *, required: bool) -> str:
    text = " ".join(summary.split())
    if _unstorable(text):
        raise PublishError("the summary contains a NUL character (\\x00) or a lone surrogate")
    if required and not text:
        raise PublishError("--summary is required: say in one sentence what changed")
    if len(text) > MAX_SUMMARY:
        raise PublishError(f"the summary is longer than {MAX_SUMMARY} characters")
    return text


def check_new_version(versions: Sequence[VersionInfo], effective: date, today: date) -> None:
    """Versions take effect in the order they are published, never retroactively."""
    live = current(versions, today)
    if live is not None and effective < live.effective_date:
        raise PublishError(
            f"effective date {effective.isoformat()} is earlier than that of the current "
            f"version {live.number} ({live.effective_date.isoformat()})"
        )
    if effective < today:
        raise PublishError(
            f"effective date {effective.isoformat()} is in the past (today is "
            f"{today.isoformat()}); a policy change cannot take effect retroactively"
        )
    latest = max(versions, key=lambda v: v.number, default=None)
    if latest is not None and effective < latest.effective_date:
        raise PublishError(
            f"effective date {effective.isoformat()} is earlier than that of version "
            f"{latest.number} ({latest.effective_date.isoformat()}), which is already "
            "published; versions take effect in the order they are published"
        )


def check_translation(
    versions: Sequence[VersionInfo],
    number: int,
    languages: Sequence[str],
    lang: str,
    today: date,
) -> None:
    if not any(v.number == number for v in versions):
        raise PublishError(f"there is no version {number}; `gateway policy list` shows them")
    if status_of(versions, number, today) == "superseded":
        raise PublishError(
            f"version {number} is superseded; translations can be added only to the current "
            "version or to an upcoming one"
        )
    if lang in languages:
        raise PublishError(
            f"version {number} already has a text in {lang!r}; a published text is never "
            "edited: publish a new version to change it"
        )
