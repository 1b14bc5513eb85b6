"""A policy version typed into /admin/policy: checked field by field, previewed, diffed.

The checks are the policy face's own (``gateway.policy.publishing``), the ones
``gateway policy publish`` runs, so the page and the command accept and refuse
the same versions; here each message is put beside the field it is about.
Publishing itself goes through ``gateway.policy.store.publish_version``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from gateway.policy import publishing
from gateway.policy.diff import PolicyDiff, diff_policies
from gateway.policy.rendering import Rendered, render, split_title, substitute
from gateway.policy.staff_texts import problem_sentence
from gateway.policy.store import VersionRecord
from gateway.policy.versions import VersionInfo

MAX_FORM_TEXT = publishing.MAX_TEXT + 10_000


@dataclass(frozen=True)
class Draft:
    """The form as typed; kept verbatim so a refused draft loses nothing."""

    text: str = ""
    lang: str = "en"
    effective: str = ""
    summary: str = ""
    material: bool = False


@dataclass
class CheckedDraft:
    draft: Draft
    errors: dict[str, str] = field(default_factory=dict)
    lang: str = "en"
    title: str = ""
    body: str = ""
    effective: date | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def check_draft(
    draft: Draft, versions: Sequence[VersionInfo], today: date, lang: str = "en"
) -> CheckedDraft:
    """Every field's problem, each a sentence in ``lang`` (the staff member's language)."""
    checked = CheckedDraft(draft)
    problems: dict[str, publishing.PublishError] = {}
    try:
        checked.lang = publishing.check_language(draft.lang)
    except publishing.PublishError as exc:
        problems["lang"] = exc
    checked.title, checked.body = split_title(draft.text, checked.lang)
    try:
        publishing.check_text(checked.title, checked.body)
    except publishing.PublishError as exc:
        problems["text"] = exc
    if "\x00" in draft.text:
        problems["text"] = publishing.PublishError("NUL in the text", "text_nul")
    if "\x00" in draft.summary:
        problems["summary"] = publishing.PublishError("NUL in the summary", "summary_nul")
    elif not draft.summary.strip():
        problems["summary"] = publishing.PublishError("no summary", "summary_missing")
    else:
        try:
            publishing.check_summary(draft.summary, required=True)
        except publishing.PublishError as exc:
            problems["summary"] = exc
    if not draft.effective.strip():
        problems["effective"] = publishing.PublishError("no date", "effective_missing")
    else:
        try:
            checked.effective = publishing.parse_effective_date(draft.effective)
            publishing.check_new_version(versions, checked.effective, today)
        except publishing.PublishError as exc:
            problems["effective"] = exc
    checked.errors.update(
        (name, problem_sentence(problem, lang)) for name, problem in problems.items()
    )
    return checked


@dataclass(frozen=True)
class Preview:
    rendered: Rendered
    compared_with: VersionRecord | None
    compared_lang: str
    diff: PolicyDiff | None


def latest_record(records: Sequence[VersionRecord]) -> VersionRecord | None:
    """The newest version, current or upcoming: what the next one replaces."""
    return max(records, key=lambda r: r.number, default=None)


def preview(
    checked: CheckedDraft, records: Sequence[VersionRecord], today: date, contact_email: str
) -> Preview:
    """The new text as readers will see it, and the word diff against the latest version
    (an upcoming one when one is announced: the new version replaces it, not the current)."""
    rendered = render(checked.body, contact_email)
    base = latest_record(records)
    if base is None:
        return Preview(rendered, None, "", None)
    lang = checked.lang if checked.lang in base.texts else base.languages[0]
    old = base.texts[lang].markdown
    diff = diff_policies(substitute(old, contact_email), substitute(checked.body, contact_email))
    return Preview(rendered, base, lang, diff)


def starting_text(records: Sequence[VersionRecord], today: date, lang: str) -> str:
    """The latest version's text (current or upcoming) with its title line: what an
    editor starts from, so publishing never silently undoes an announced version."""
    base = latest_record(records)
    if base is None or not base.texts:
        return ""
    text = base.texts.get(lang) or base.texts[base.languages[0]]
    return f"# {text.title}\n\n{text.markdown}"
