"""/admin/requests: the staff queue of data-subject requests and the actions on them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from gateway.admin.auth import current_user, login_required, staff_writes
from gateway.admin.models import User
from gateway.consent import services as consent_services
from gateway.contact import deadlines, notifications, services, subject_data
from gateway.contact.forms import csrf_token_valid
from gateway.contact.models import REQUEST_TYPES, STATUSES, ContactRequest
from gateway.contact.texts import (
    format_date,
    staff_error,
    staff_status_labels,
    staff_texts,
    staff_type_labels,
)
from gateway.extensions import csrf, db
from gateway.i18n import plural, request_language
from gateway.mail import deliver_due
from gateway.subject_sources import registered_sources
from gateway.timeutil import utcnow

bp = Blueprint("contact_staff", __name__, url_prefix="/admin/requests")

EXPORTABLE_TYPES = ("access", "erase")
# Action name → (service, label of its text field or "" when it has none).
ACTIONS = ("assign", "reply", "ask", "extend", "withdraw", "complete", "reject", "erase")


def _staff() -> User:
    user = current_user()
    assert user is not None  # login_required ran first
    return user


def staff_language() -> str:
    """The staff member's chosen language (the shell's), as on every staff page."""
    return request_language(("ru", "en"))


def _get(request_id: int) -> ContactRequest:
    contact_request = db.session.get(ContactRequest, request_id)
    if contact_request is None:
        abort(404)
    return contact_request


@bp.get("")
@login_required
def queue() -> ResponseReturnValue:
    status = request.args.get("status", "active")
    if status not in ("active", "all", *STATUSES):
        status = "active"
    kind = request.args.get("type", "")
    if kind not in REQUEST_TYPES:
        kind = ""
    rows = services.queue(db.session(), services.QueueFilter(status, kind))
    today = deadlines.moscow_date(utcnow())
    users = {u.id: u.email for u in db.session.scalars(sa.select(User))}
    lang = staff_language()
    noun = plural(len(rows), ("обращение", "обращения", "обращений"), lang)
    if lang != "ru":
        noun = "request" if len(rows) == 1 else "requests"
    return render_template(
        "contact/staff/requests.html",
        st=staff_texts(lang),
        noun=noun,
        rows=rows,
        today=today,
        status=status,
        kind=kind,
        statuses=STATUSES,
        types=REQUEST_TYPES,
        status_labels=staff_status_labels(lang),
        type_labels=staff_type_labels(lang),
        users=users,
        is_overdue=deadlines.is_overdue,
    )


def _render_detail(
    contact_request: ContactRequest, error: str = "", drafts: dict[str, str] | None = None
) -> ResponseReturnValue:
    rule = current_app.config["REQUEST_DEADLINE"]
    today = deadlines.moscow_date(utcnow())
    users = list(db.session.scalars(sa.select(User).where(User.active).order_by(User.email)))
    lang = staff_language()
    until = notifications.data_available_until(contact_request)
    body = render_template(
        "contact/staff/request.html",
        req=contact_request,
        st=staff_texts(lang),
        staff_lang=lang,
        format_date=format_date,
        due_lines=notifications.due_lines(contact_request, lang),
        withdrawal_state=_withdrawal_state(contact_request),
        data_until=format_date(until, lang) if until else "",
        downloads=sum(1 for e in contact_request.audit if e.action == "downloaded"),
        today=today,
        overdue=deadlines.is_overdue(contact_request.due_date, today, contact_request.is_closed),
        can_extend=deadlines.can_extend(rule, contact_request.extended),
        rule=rule,
        users=users,
        assignee=next((u for u in users if u.id == contact_request.assignee_id), None),
        status_labels=staff_status_labels(lang),
        type_labels=staff_type_labels(lang),
        exportable=contact_request.request_type in EXPORTABLE_TYPES
        and contact_request.verified_at is not None
        and not contact_request.erased_at,
        open_for_actions=contact_request.status not in ("unverified", "completed", "rejected"),
        error=error,
        drafts=drafts or {},
    )
    return body, 400 if error else 200


@bp.get("/<int:request_id>")
@login_required
def detail(request_id: int) -> ResponseReturnValue:
    return _render_detail(_get(request_id))


def _run_action(action: str, contact_request: ContactRequest, text: str) -> str:
    """Do one staff action; returns the flash message."""
    staff = _staff()
    st = staff_texts(staff_language())
    session = db.session()
    now = utcnow()
    before = contact_request.status
    if action == "assign":
        raw = request.form.get("assignee_id", "")
        assignee = None
        if raw:
            valid_id = raw.isdigit() and len(raw) < 10
            assignee = session.get(User, int(raw)) if valid_id else None
            if assignee is None or not assignee.active:
                raise services.ActionError(st["choose_staff"])
        services.assign(session, contact_request, staff, assignee, now)
        session.commit()
        return st["assigned"].format(who=assignee.email if assignee else st["nobody"])
    if action == "reply":
        services.reply(session, contact_request, staff, text, now)
        notifications.mail_update(
            session,
            contact_request,
            message=text.strip(),
            status_changed=before != contact_request.status,
        )
        session.commit()
        return st["replied"]
    if action == "ask":
        services.ask_for_information(session, contact_request, staff, text, now)
        notifications.mail_update(session, contact_request, message=text.strip())
        session.commit()
        return st["asked"]
    if action == "extend":
        rule = current_app.config["REQUEST_DEADLINE"]
        due = services.extend(session, contact_request, staff, text, rule, now)
        notifications.mail_update(
            session, contact_request, reason=text.strip(), status_changed=False, extended=True
        )
        session.commit()
        return st["extended_to"].format(date=format_date(due, staff_language()))
    if action == "withdraw":
        consent_id = consent_services.normalise_consent_id(request.form.get("consent_id", ""))
        if consent_id is None:
            raise services.ActionError(st["bad_consent_id"])
        if contact_request.request_type != "withdraw-consent":
            raise services.ActionError(st["not_withdrawal"])
        services.require_open(contact_request)
        outcome = _withdraw_consent(contact_request, consent_id, staff, now)
        if outcome == "not found":
            session.commit()  # the attempt stays in the audit log
            raise services.ActionError(st["withdraw_not found"].format(id=consent_id))
        session.commit()
        return st[f"withdraw_{outcome}"].format(id=consent_id)
    if action == "complete":
        if contact_request.request_type == "erase":
            raise services.ActionError(st["erase_first"])
        if contact_request.request_type == "withdraw-consent" and not _withdrawal_recorded(
            contact_request
        ):
            raise services.ActionError(st["withdraw_first"])
        services.complete(session, contact_request, staff, text, now)
        notifications.mail_update(session, contact_request, message=text.strip())
        session.commit()
        if contact_request.request_type == "access":
            return st["completed_access"]
        return st["completed"]
    if action == "reject":
        services.reject(session, contact_request, staff, text, now)
        notifications.mail_update(session, contact_request, reason=text.strip())
        session.commit()
        return st["rejected"]
    if action == "erase":
        if contact_request.request_type != "erase":
            raise services.ActionError(st["only_erase"])
        if contact_request.status in ("unverified", "completed", "rejected"):
            raise services.ActionError(st["erase_open"])
        if request.form.get("confirm") != "yes":
            raise services.ActionError(st["tick_box"])
        # The requester hears of it before their address is erased with the rest.
        contact_request.status = "completed"
        contact_request.closed_at = now
        notifications.mail_update(session, contact_request, message=text.strip())
        session.flush()
        counts = subject_data.fulfil_erasure(
            session,
            contact_request,
            staff.email,
            registered_sources(current_app),
            now,
        )
        session.commit()
        total = sum(counts.values())
        return st["erased_count"].format(total=total)
    abort(404)


def _withdraw_consent(
    contact_request: ContactRequest, consent_id: str, staff: User, now: datetime
) -> str:
    """Record the withdrawal in the consent log; the request keeps the id it was for."""
    session = db.session()
    outcome = consent_services.withdraw_on_request(session, consent_id, now)
    if outcome != "not found" and contact_request.consent_id != consent_id:
        services.audit(
            session,
            contact_request,
            staff.email,
            "consent id",
            f"{contact_request.consent_id or '—'} → {consent_id}",
            now,
        )
        contact_request.consent_id = consent_id
    services.audit(
        session, contact_request, staff.email, "consent", f"{consent_id}: {outcome}", now
    )
    return outcome


def _withdrawal_state(contact_request: ContactRequest) -> str:
    """withdrawn | granted | unknown | none: the consent log's word on the named id."""
    if contact_request.request_type != "withdraw-consent" or not contact_request.consent_id:
        return "none"
    state = consent_services.current_state(db.session(), contact_request.consent_id)
    if state is None:
        return "unknown"
    return "withdrawn" if state.withdrawn else "granted"


def _withdrawal_recorded(contact_request: ContactRequest) -> bool:
    """The consent the request names is withdrawn in the consent log now."""
    consent_id = contact_request.consent_id
    if not consent_id:
        return False
    state = consent_services.current_state(db.session(), consent_id)
    return state is not None and state.withdrawn


@bp.post("/<int:request_id>/<action>")
@csrf.exempt  # type: ignore[untyped-decorator]  # checked below, so a stale form keeps its text
@staff_writes
@login_required
def act(request_id: int, action: str) -> ResponseReturnValue:
    if action not in ACTIONS:
        abort(404)
    contact_request = _get(request_id)
    text = request.form.get("text", "")
    if not csrf_token_valid():
        error = staff_texts(staff_language())["form_expired"]
        return _render_detail(contact_request, error, {action: text})
    try:
        message = _run_action(action, contact_request, text)
    except services.ActionError as exc:
        db.session.rollback()
        return _render_detail(
            _get(request_id), staff_error(str(exc), staff_language()), {action: text}
        )
    try:
        deliver_due(db.session(), limit=10)
    except SQLAlchemyError:
        db.session.rollback()  # the mail waits in the outbox for `gateway mail send`
    flash(message, "success")
    return redirect(url_for("contact_staff.detail", request_id=request_id), code=303)


@bp.get("/<int:request_id>/export.<fmt>")
@login_required
def export(request_id: int, fmt: str) -> ResponseReturnValue:
    if fmt not in ("json", "csv"):
        abort(404)
    contact_request = _get(request_id)
    if contact_request.request_type not in EXPORTABLE_TYPES or contact_request.verified_at is None:
        abort(404)
    if contact_request.erased_at:
        abort(410)
    session = db.session()
    now = utcnow()
    body, mimetype = subject_data.render_export(
        session, contact_request.email, registered_sources(current_app), fmt, now
    )
    services.record_export(session, contact_request, _staff(), fmt, now)
    session.commit()
    filename = f"request-{contact_request.id}-data.{fmt}"
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
