"""/admin/policy: the versions, and publishing a new one after a preview and a diff."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from gateway.admin import auth
from gateway.extensions import db
from gateway.i18n import LANGUAGES
from gateway.policy import drafts, publishing
from gateway.policy.store import publish_version, version_records
from gateway.policy.versions import VersionInfo, status_of
from gateway.timeutil import today as utc_today

bp = Blueprint("policy_staff", __name__, url_prefix="/admin/policy")
log = logging.getLogger(__name__)


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
        }
        for r in reversed(records)
    ]
    shown = None
    if show_preview and checked is not None and checked.ok:
        shown = drafts.preview(checked, records, today, current_app.config["CONTACT_EMAIL"])
    body = render_template(
        "policy/staff/policy.html",
        rows=rows,
        draft=draft,
        errors=checked.errors if checked else {},
        checked=checked,
        preview=shown,
        languages=LANGUAGES,
        today=today,
        next_number=max((r.number for r in records), default=0) + 1,
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
    checked = drafts.check_draft(draft, infos, utc_today())
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
    checked = drafts.check_draft(draft, infos, utc_today())
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
        checked.errors["form"] = str(exc)
        return _render(draft, checked, show_preview=True, status=400)
    user = auth.current_user()
    log.info("user %s published policy version %d", user.id if user else "?", number)
    when = "today" if checked.effective <= utc_today() else f"on {checked.effective.isoformat()}"
    kind = "a material change: visitors are asked again" if draft.material else "not material"
    flash(f"Published version {number} ({kind}); it takes effect {when}.", "success")
    return redirect(url_for("policy_staff.page"), code=303)
