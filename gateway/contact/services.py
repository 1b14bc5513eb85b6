"""What happens to a request: plain functions over a session and data, no request context.

Each function changes the request, writes an audit entry and returns; the
caller commits and sends the e-mails (see notifications.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gateway.admin.models import User
from gateway.contact import deadlines
from gateway.contact.models import (
    AUTHOR_REQUESTER,
    AUTHOR_STAFF,
    CLOSED_STATUSES,
    STATUS_COMPLETED,
    STATUS_IN_PROGRESS,
    STATUS_OPEN,
    STATUS_REJECTED,
    STATUS_UNVERIFIED,
    STATUS_WAITING,
    STATUSES,
    AuditEntry,
    ContactRequest,
    RequestMessage,
)

ACTOR_REQUESTER = "requester"
ACTOR_SYSTEM = "system"
# Unverified requests are removed after this many days (their link lasts 7).
UNVERIFIED_RETENTION_DAYS = 30


MAX_TEXT = 10000


# Control characters other than tab and newlines: never meant, and PostgreSQL
# refuses NUL in text columns.
_CONTROL = {c: None for c in range(32) if c not in (9, 10, 13)} | {127: None}


def clean_text(text: str) -> str:
    """Text as typed, minus invisible control characters."""
    return text.translate(_CONTROL)


class ActionError(ValueError):
    """A staff action that cannot be done now; the message says why."""


@dataclass(frozen=True)
class NewRequest:
    email: str
    name: str
    request_type: str
    message: str
    language: str
    contract_number: str = ""
    service_date: date | None = None
    consent_id: str = ""


def audit(
    session: Session, request: ContactRequest, actor: str, action: str, detail: str, now: datetime
) -> AuditEntry:
    entry = AuditEntry(actor=actor, action=action, detail=detail, created_at=now)
    request.audit.append(entry)
    session.add(entry)
    return entry


def create_request(session: Session, data: NewRequest, now: datetime) -> ContactRequest:
    """Store a request as unverified; refunds get their §6 window verdict now."""
    in_window = None
    if data.request_type == "refund" and data.service_date is not None:
        in_window = deadlines.within_refund_window(data.service_date, deadlines.moscow_date(now))
    request = ContactRequest(
        email=data.email,
        name=data.name,
        request_type=data.request_type,
        message=data.message,
        language=data.language,
        contract_number=data.contract_number if data.request_type == "refund" else "",
        service_date=data.service_date if data.request_type == "refund" else None,
        refund_in_window=in_window,
        consent_id=data.consent_id if data.request_type == "withdraw-consent" else "",
        status=STATUS_UNVERIFIED,
        created_at=now,
    )
    session.add(request)
    detail = ""
    if in_window is not None:
        detail = "within the refund window" if in_window else "outside the refund window"
    audit(session, request, ACTOR_REQUESTER, "submitted", detail, now)
    return request


def verify_request(session: Session, request: ContactRequest, rule: str, now: datetime) -> bool:
    """Mark the e-mail as confirmed and set the due date; False if it already was."""
    if request.verified_at is not None or request.status != STATUS_UNVERIFIED:
        return False
    request.verified_at = now
    request.status = STATUS_OPEN
    request.due_date = deadlines.due_date(deadlines.moscow_date(now), rule)
    audit(session, request, ACTOR_REQUESTER, "verified", f"due {request.due_date} ({rule})", now)
    return True


def require_open(request: ContactRequest) -> None:
    if request.status == STATUS_UNVERIFIED:
        raise ActionError("The requester has not confirmed the e-mail address yet.")
    if request.status in CLOSED_STATUSES:
        raise ActionError("The request is closed.")


def _require_text(text: str, what: str) -> str:
    text = clean_text(text).strip()
    if not text:
        raise ActionError(f"{what} is required.")
    if len(text) > MAX_TEXT:
        raise ActionError(f"{what} is longer than {MAX_TEXT} characters.")
    return text


def assign(
    session: Session, request: ContactRequest, actor: User, assignee: User | None, now: datetime
) -> None:
    require_open(request)
    request.assignee_id = assignee.id if assignee else None
    audit(session, request, actor.email, "assigned", assignee.email if assignee else "nobody", now)


def _set_status(
    session: Session, request: ContactRequest, actor: str, status: str, now: datetime
) -> None:
    if status not in STATUSES:
        raise ActionError(f"unknown status {status!r}")
    if request.status != status:
        audit(session, request, actor, "status", f"{request.status} → {status}", now)
        request.status = status
        if status in CLOSED_STATUSES:
            request.closed_at = now


def _add_message(
    session: Session, request: ContactRequest, author: str, body: str, now: datetime
) -> RequestMessage:
    """A public message on the request's history (shown on the status page)."""
    message = RequestMessage(author=author, body=body, created_at=now)
    request.messages.append(message)
    session.add(message)
    return message


def reply(
    session: Session, request: ContactRequest, actor: User, body: str, now: datetime
) -> RequestMessage:
    """A public reply, e-mailed to the requester; an open request moves to in progress."""
    require_open(request)
    body = _require_text(body, "The reply")
    message = _add_message(session, request, AUTHOR_STAFF, body, now)
    audit(session, request, actor.email, "replied", body[:200], now)
    if request.status in (STATUS_OPEN, STATUS_WAITING):
        _set_status(session, request, actor.email, STATUS_IN_PROGRESS, now)
    return message


def ask_for_information(
    session: Session, request: ContactRequest, actor: User, question: str, now: datetime
) -> RequestMessage:
    """A public question; the request waits for the requester's answer."""
    require_open(request)
    question = _require_text(question, "The question")
    message = _add_message(session, request, AUTHOR_STAFF, question, now)
    audit(session, request, actor.email, "asked", question[:200], now)
    _set_status(session, request, actor.email, STATUS_WAITING, now)
    return message


def takes_answers(request: ContactRequest) -> bool:
    """The requester may write while the request is verified and not closed."""
    return request.status not in (STATUS_UNVERIFIED, *CLOSED_STATUSES) and not request.erased_at


def requester_answer(
    session: Session, request: ContactRequest, body: str, now: datetime
) -> RequestMessage:
    """The requester writes on the status page; a waiting request goes back to staff."""
    if not takes_answers(request):
        raise ActionError("This request does not take answers.")
    body = _require_text(body, "The answer")
    message = _add_message(session, request, AUTHOR_REQUESTER, body, now)
    audit(session, request, ACTOR_REQUESTER, "answered", "", now)
    if request.status == STATUS_WAITING:
        _set_status(session, request, ACTOR_REQUESTER, STATUS_IN_PROGRESS, now)
    return message


def extend(
    session: Session, request: ContactRequest, actor: User, reason: str, rule: str, now: datetime
) -> date:
    """152-FZ: once, by 5 working days, with a reason the requester is told."""
    require_open(request)
    reason = _require_text(reason, "The reason")
    if not deadlines.can_extend(rule, request.extended):
        if rule != deadlines.RULE_152FZ:
            raise ActionError("The 30-day deadline of policy §4 cannot be extended.")
        raise ActionError("The deadline was already extended once.")
    assert request.due_date is not None
    old = request.due_date
    request.due_date = deadlines.extended_due_date(old)
    request.extended = True
    request.extension_reason = reason
    audit(session, request, actor.email, "extended", f"{old} → {request.due_date}: {reason}", now)
    return request.due_date


def complete(
    session: Session, request: ContactRequest, actor: User, note: str, now: datetime
) -> None:
    require_open(request)
    note = clean_text(note).strip()
    if note:
        _add_message(session, request, AUTHOR_STAFF, note, now)
    audit(session, request, actor.email, "completed", note[:200], now)
    _set_status(session, request, actor.email, STATUS_COMPLETED, now)


def reject(
    session: Session, request: ContactRequest, actor: User, reason: str, now: datetime
) -> None:
    require_open(request)
    reason = _require_text(reason, "The reason")
    _add_message(session, request, AUTHOR_STAFF, reason, now)
    audit(session, request, actor.email, "rejected", reason[:200], now)
    _set_status(session, request, actor.email, STATUS_REJECTED, now)


def record_export(
    session: Session, request: ContactRequest, actor: User, fmt: str, now: datetime
) -> None:
    audit(session, request, actor.email, "exported", fmt, now)


@dataclass(frozen=True)
class QueueFilter:
    status: str = "active"  # active | all | one of STATUSES
    request_type: str = ""


def queue(session: Session, wanted: QueueFilter) -> list[ContactRequest]:
    """Requests by due date (earliest first, undated last), then by age."""
    query = sa.select(ContactRequest)
    if wanted.status == "active":
        query = query.where(
            ContactRequest.status.in_((STATUS_OPEN, STATUS_IN_PROGRESS, STATUS_WAITING))
        )
    elif wanted.status in STATUSES:
        query = query.where(ContactRequest.status == wanted.status)
    if wanted.request_type:
        query = query.where(ContactRequest.request_type == wanted.request_type)
    query = query.order_by(
        ContactRequest.due_date.is_(None), ContactRequest.due_date, ContactRequest.id
    ).limit(500)
    return list(session.scalars(query))


def purge_cutoffs(now: datetime, retention_days: int) -> tuple[datetime, datetime]:
    """(closed before, unverified created before): what `gateway purge` removes."""
    return now - timedelta(days=retention_days), now - timedelta(days=UNVERIFIED_RETENTION_DAYS)


def _purgeable(now: datetime, retention_days: int) -> sa.ColumnElement[bool]:
    closed_before, unverified_before = purge_cutoffs(now, retention_days)
    return sa.or_(
        sa.and_(
            ContactRequest.status.in_(CLOSED_STATUSES), ContactRequest.closed_at < closed_before
        ),
        sa.and_(
            ContactRequest.status == STATUS_UNVERIFIED,
            ContactRequest.created_at < unverified_before,
        ),
    )


def count_purgeable(session: Session, now: datetime, retention_days: int) -> int:
    query = sa.select(sa.func.count()).select_from(ContactRequest)
    return int(session.scalar(query.where(_purgeable(now, retention_days))) or 0)


def purge(session: Session, now: datetime, retention_days: int, batch: int) -> int:
    ids = list(
        session.scalars(
            sa.select(ContactRequest.id).where(_purgeable(now, retention_days)).limit(batch)
        )
    )
    if not ids:
        return 0
    # Messages and audit entries go with their request (ON DELETE CASCADE).
    session.execute(sa.delete(ContactRequest).where(ContactRequest.id.in_(ids)))
    session.commit()
    return len(ids)
