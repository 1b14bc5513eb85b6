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
    """The version cannot be published; the message says why and what to do in English
    (what `gateway policy` prints); ``code`` and ``params`` let /admin/policy say it in
    the staff member's language (gateway.policy.staff_texts.problem_text)."""

    def __init__(self, message: str, code: str = "", **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


def parse_effective_date(value: str) -> date:
    text = value.strip()
    if not _DATE.match(text):
        raise PublishError(
            f"effective date {value!r} is not a date like 2026-03-01 (YYYY-MM-DD)",
            "date_format",
            value=value,
        )
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise PublishError(
            f"effective date {value!r} is not a real date: {exc}", "date_unreal", value=value
        ) from exc


def check_language(lang: str) -> str:
    code = lang.strip().lower()
    if code not in LANGUAGES:
        choices = ", ".join(LANGUAGES)
        raise PublishError(
            f"language {lang!r} is not supported; use one of {choices}",
            "language",
            lang=lang,
            choices=choices,
        )
    return code


def _unstorable(text: str) -> bool:
    """NUL or a lone surrogate: characters neither database can keep as text."""
    return storable_text(text) != text


def check_text(title: str, body: str) -> None:
    if _unstorable(title) or _unstorable(body):
        raise PublishError(
            "the policy text contains a NUL character (\\x00) or a lone surrogate; remove it",
            "text_unstorable",
        )
    if not body.strip():
        raise PublishError("the policy text is empty", "text_empty")
    if len(body) > MAX_TEXT:
        raise PublishError(
            f"the policy text is longer than {MAX_TEXT} characters", "text_long", limit=MAX_TEXT
        )
    if len(title) > MAX_TITLE:
        raise PublishError(
            f"the title (first '# ' line) is longer than {MAX_TITLE} characters",
            "title_long",
            limit=MAX_TITLE,
        )


def check_summary(summary: str, *, required: bool) -> str:
    text = " ".join(summary.split())
    if _unstorable(text):
        raise PublishError(
            "the summary contains a NUL character (\\x00) or a lone surrogate",
            "summary_unstorable",
        )
    if required and not text:
        raise PublishError(
            "--summary is required: say in one sentence what changed", "summary_missing"
        )
    if len(text) > MAX_SUMMARY:
        raise PublishError(
            f"the summary is longer than {MAX_SUMMARY} characters",
            "summary_long",
            limit=MAX_SUMMARY,
        )
    return text


def check_new_version(versions: Sequence[VersionInfo], effective: date, today: date) -> None:
    """Versions take effect in the order they are published, never retroactively."""
    live = current(versions, today)
    if live is not None and effective < live.effective_date:
        raise PublishError(
            f"effective date {effective.isoformat()} is earlier than that of the current "
            f"version {live.number} ({live.effective_date.isoformat()})",
            "before_current",
            effective=effective,
            number=live.number,
            since=live.effective_date,
        )
    if effective < today:
        raise PublishError(
            f"effective date {effective.isoformat()} is in the past (today is "
            f"{today.isoformat()}); a policy change cannot take effect retroactively",
            "past",
            effective=effective,
            today=today,
        )
    latest = max(versions, key=lambda v: v.number, default=None)
    if latest is not None and effective < latest.effective_date:
        raise PublishError(
            f"effective date {effective.isoformat()} is earlier than that of version "
            f"{latest.number} ({latest.effective_date.isoformat()}), which is already "
            "published; versions take effect in the order they are published",
            "before_latest",
            effective=effective,
            number=latest.number,
            since=latest.effective_date,
        )


def check_translation(
    versions: Sequence[VersionInfo],
    number: int,
    languages: Sequence[str],
    lang: str,
    today: date,
) -> None:
    if not any(v.number == number for v in versions):
        raise PublishError(
            f"there is no version {number}; `gateway policy list` shows them",
            "no_version",
            number=number,
        )
    if status_of(versions, number, today) == "superseded":
        raise PublishError(
            f"version {number} is superseded; translations can be added only to the current "
            "version or to an upcoming one",
            "superseded",
            number=number,
        )
    if lang in languages:
        raise PublishError(
            f"version {number} already has a text in {lang!r}; a published text is never "
            "edited: publish a new version to change it",
            "translated",
            number=number,
            lang=lang,
        )
