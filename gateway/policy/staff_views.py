"""/admin/policy: the versions, and publishing a new one after a preview and a diff."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from gateway.admin import auth
from gateway.extensions import db
from gateway.i18n import LANGUAGES, request_language
from gateway.policy import drafts, publishing, store
from gateway.policy.staff_texts import (
    LANGUAGE_NAMES,
    language_name,
    problem_sentence,
    problem_text,
    staff_texts,
)
from gateway.policy.store import publish_version, version_records
from gateway.policy.texts import ui
from gateway.policy.versions import VersionInfo, status_of
from gateway.timeutil import today as utc_today
from gateway.timeutil import utcnow

bp = Blueprint("policy_staff", __name__, url_prefix="/admin/policy")
log = logging.getLogger(__name__)

# The field of the translation form a refusal is shown beside (the version otherwise).
TRANSLATION_FIELDS = {
    "language": "lang",
    "translated": "lang",
    "text_unstorable": "text",
    "text_empty": "text",
    "text_long": "text",
    "title_long": "text",
    "summary_unstorable": "summary",
    "summary_long": "summary",
}


def _draft_from_form() -> drafts.Draft:
    form = request.form
    return drafts.Draft(
        # Browsers send CRLF from a textarea; the stored Markdown uses LF.
        text=form.get("text", "")[: drafts.MAX_FORM_TEXT].replace("\r\n", "\n"),
        lang=form.get("lang", "en")[:8],
        effective=form.get("effective", "")[:32],
        summary=form.get("summary", "")[: publishing.MAX_SUMMARY + 100],
        material=form.get("material") == "yes",
    )


def _render(
    draft: drafts.Draft,
    checked: drafts.CheckedDraft | None = None,
    show_preview: bool = False,
    status: int = 200,
    translation: dict[str, str] | None = None,
    translation_errors: dict[str, str] | None = None,
) -> ResponseReturnValue:
    session = db.session()
    records = version_records(session)
    today = utc_today()
    infos = [VersionInfo(r.number, r.effective_date, r.material, r.summary) for r in records]
    rows = [
        {
            "record": r,
            "status": status_of(infos, r.number, today),
            "previous": max((o.number for o in records if o.number < r.number), default=None),
            "newest": r.number == records[-1].number,
            "missing": [code for code in LANGUAGES if code not in r.texts],
        }
        for r in reversed(records)
    ]
    # Versions still taking translations: the current one and those announced.
    translatable = [
        row for row in rows if row["status"] in ("current", "upcoming") and row["missing"]
    ]
    shown = None
    if show_preview and checked is not None and checked.ok:
        shown = drafts.preview(checked, records, today, current_app.config["CONTACT_EMAIL"])
    lang = request_language()
    body = render_template(
        "policy/staff/policy.html",
        t=staff_texts(lang),
        language_names=LANGUAGE_NAMES["ru" if lang == "ru" else "en"],
        status_words=ui(lang),
        rows=rows,
        draft=draft,
        errors=checked.errors if checked else {},
        checked=checked,
        preview=shown,
        languages=LANGUAGES,
        today=today,
        next_number=max((r.number for r in records), default=0) + 1,
        base=drafts.latest_record(records),
        translatable=translatable,
        translation=translation or {},
        translation_errors=translation_errors or {},
    )
    return body, status


@bp.get("")
@auth.admin_required
def page() -> ResponseReturnValue:
    lang = request.args.get("lang", "en")
    lang = lang if lang in LANGUAGES else "en"
    records = version_records(db.session())
    draft = drafts.Draft(text=drafts.starting_text(records, utc_today(), lang), lang=lang)
    return _render(draft)


@bp.post("/preview")
@auth.staff_writes
@auth.admin_required
def preview_draft() -> ResponseReturnValue:
    draft = _draft_from_form()
    infos = [
        VersionInfo(r.number, r.effective_date, r.material, r.summary)
        for r in version_records(db.session())
    ]
    checked = drafts.check_draft(draft, infos, utc_today(), request_language())
    return _render(draft, checked, show_preview=True, status=200 if checked.ok else 400)


@bp.post("/publish")
@auth.staff_writes
@auth.admin_required
def publish() -> ResponseReturnValue:
    draft = _draft_from_form()
    session = db.session()
    infos = [
        VersionInfo(r.number, r.effective_date, r.material, r.summary)
        for r in version_records(session)
    ]
    lang = request_language()
    checked = drafts.check_draft(draft, infos, utc_today(), lang)
    if not checked.ok or checked.effective is None:
        return _render(draft, checked, show_preview=True, status=400)
    try:
        with db.transaction() as tx:
            number = publish_version(
                tx,
                text=draft.text,
                lang=checked.lang,
                effective=checked.effective,
                summary=draft.summary,
                material=draft.material,
            )
    except publishing.PublishError as exc:
        # Another admin published in between, or a check the fields could not catch.
        checked.errors["form"] = problem_sentence(exc, lang)
        return _render(draft, checked, show_preview=True, status=400)
    user = auth.current_user()
    log.info("user %s published policy version %d", user.id if user else "?", number)
    t = staff_texts(lang)
    on_day = t["when_on"].format(date=checked.effective.isoformat())
    when = t["when_today"] if checked.effective <= utc_today() else on_day
    kind = t["kind_material"] if draft.material else t["kind_plain"]
    flash(t["flash_published"].format(number=number, kind=kind, when=when), "success")
    return redirect(url_for("policy_staff.page"), code=303)


@bp.post("/<int:number>/cancel")
@auth.staff_writes
@auth.admin_required
def cancel(number: int) -> ResponseReturnValue:
    """Cancel an announced version before it takes effect."""
    try:
        with db.transaction() as tx:
            store.cancel_upcoming(tx, number, utcnow(), utc_today())
    except publishing.PublishError as exc:
        lang = request_language()
        problem = staff_texts(lang)["flash_not_cancelled"]
        flash(problem.format(number=number, problem=problem_text(exc, lang)), "error")
        return redirect(url_for("policy_staff.page"), code=303)
    user = auth.current_user()
    log.info("user %s cancelled upcoming policy version %d", user.id if user else "?", number)
    flash(staff_texts(request_language())["flash_cancelled"].format(number=number), "success")
    return redirect(url_for("policy_staff.page"), code=303)


@bp.post("/translation")
@auth.staff_writes
@auth.admin_required
def add_translation() -> ResponseReturnValue:
    """Give the current or an upcoming version its text in another language."""
    form = request.form
    typed = {
        "number": form.get("number", "")[:12].strip(),
        "lang": form.get("lang", "")[:8],
        "summary": form.get("summary", "")[: publishing.MAX_SUMMARY + 100],
        "text": form.get("text", "")[: drafts.MAX_FORM_TEXT].replace("\r\n", "\n"),
    }
    problems: dict[str, publishing.PublishError] = {}
    number = int(typed["number"]) if typed["number"].isdigit() else 0
    if not number:
        problems["number"] = publishing.PublishError("no version", "number_missing")
    elif "\x00" in typed["text"] or "\x00" in typed["summary"]:
        problems["text"] = publishing.PublishError("NUL in the text", "text_nul")
    elif not typed["summary"].strip():
        problems["summary"] = publishing.PublishError("no summary", "translation_summary_missing")
    else:
        try:
            with db.transaction() as tx:
                store.add_translation(
                    tx,
                    number=number,
                    text=typed["text"],
                    lang=typed["lang"],
                    summary=typed["summary"],
                    today=utc_today(),
                )
        except publishing.PublishError as exc:
            problems[TRANSLATION_FIELDS.get(exc.code, "number")] = exc
    lang = request_language()
    errors = {name: problem_sentence(problem, lang) for name, problem in problems.items()}
    if errors:
        records = version_records(db.session())
        draft = drafts.Draft(text=drafts.starting_text(records, utc_today(), "en"))
        return _render(draft, status=400, translation=typed, translation_errors=errors)
    user = auth.current_user()
    log.info(
        "user %s added the %s text of policy version %d",
        user.id if user else "?",
        typed["lang"],
        number,
    )
    done = staff_texts(lang)["flash_translated"]
    language = language_name(typed["lang"].strip().lower(), lang)
    flash(done.format(number=number, language=language), "success")
    return redirect(url_for("policy_staff.page"), code=303)
