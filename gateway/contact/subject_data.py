"""What the gateway holds about a data subject: export (policy §7) and erasure (§4).

The sources are registered by each face that stores personal data
(``gateway.subject_sources``); this module gathers them for a request,
writes the export as JSON and CSV, and is the contact face's own source.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gateway.contact.models import AuditEntry, ContactRequest
from gateway.subject_sources import SubjectDataSource


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def export_subject(
    session: Session, email: str, consent_ids: Sequence[str], sources: Iterable[SubjectDataSource]
) -> dict[str, list[dict[str, Any]]]:
    """Every source's records for the subject, as JSON-ready dicts."""
    return {
        source.name: [
            {key: _plain(value) for key, value in record.items()}
            for record in source.export(session, email, consent_ids)
        ]
        for source in sources
    }


def erase_subject(
    session: Session, email: str, consent_ids: Sequence[str], sources: Iterable[SubjectDataSource]
) -> dict[str, int]:
    return {source.name: source.erase(session, email, consent_ids) for source in sources}


def to_json(export: dict[str, list[dict[str, Any]]], generated_at: datetime) -> str:
    document = {"generated_at": generated_at.isoformat() + "Z", "sources": export}
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True)


# A spreadsheet treats a cell starting with one of these as a formula
# (tab and carriage return too: some programs skip them and read what follows).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_csv_cell(value: Any) -> str:
    """Text safe to open in a spreadsheet: formula-like cells get a leading apostrophe."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(_plain(value), ensure_ascii=False)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def to_csv(export: dict[str, list[dict[str, Any]]]) -> str:
    """One row per field of each record: source, record number, field, value."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["source", "record", "field", "value"])
    for source, records in export.items():
        for number, record in enumerate(records, start=1):
            for field, value in record.items():
                writer.writerow(
                    [
                        escape_csv_cell(source),
                        number,
                        escape_csv_cell(field),
                        escape_csv_cell(value),
                    ]
                )
    return buffer.getvalue()


# The contact face's own records.


def _requests_of(session: Session, email: str) -> list[ContactRequest]:
    query = sa.select(ContactRequest).where(sa.func.lower(ContactRequest.email) == email.lower())
    return list(session.scalars(query.order_by(ContactRequest.id)))


def export_contact(
    session: Session, email: str, _consent_ids: Sequence[str]
) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for request in _requests_of(session, email):
        records.append(
            {
                "kind": "request",
                "request_id": request.id,
                "email": request.email,
                "name": request.name,
                "request_type": request.request_type,
                "message": request.message,
                "language": request.language,
                "contract_number": request.contract_number,
                "service_date": request.service_date,
                "consent_id": request.consent_id,
                "status": request.status,
                "created_at": request.created_at,
                "verified_at": request.verified_at,
                "due_date": request.due_date,
                "closed_at": request.closed_at,
            }
        )
        for message in request.messages:
            records.append(
                {
                    "kind": "message",
                    "request_id": request.id,
                    "author": message.author,
                    "body": message.body,
                    "created_at": message.created_at,
                }
            )
        for entry in request.audit:
            records.append(
                {
                    "kind": "audit",
                    "request_id": request.id,
                    "action": entry.action,
                    # Who among staff handles it is the operator's business, not the
                    # subject's data: assignments are listed without the colleague's address.
                    "detail": "" if entry.action == "assigned" else entry.detail,
                    "created_at": entry.created_at,
                }
            )
    return records


def erase_contact(session: Session, email: str, _consent_ids: Sequence[str]) -> int:
    """Delete the subject's requests with their messages and audit.

    The erasure request itself is not among them: ``fulfil_erasure`` keeps it,
    anonymized, as the proof that the request was fulfilled.
    """
    touched = 0
    for request in _requests_of(session, email):
        if request.request_type == "erase" and request.status != "unverified":
            continue
        touched += 1 + len(request.messages) + len(request.audit)
        session.delete(request)
    session.flush()
    return touched


def subject_consent_ids(session: Session, email: str) -> list[str]:
    """Consent ids the subject named on requests whose mailbox they confirmed.

    An unconfirmed request proves nothing: anyone can type an address and someone
    else's consent id, and must get neither that consent's records in an export
    nor their erasure.
    """
    return sorted(
        {
            r.consent_id
            for r in _requests_of(session, email)
            if r.consent_id and r.verified_at is not None
        }
    )


def render_export(
    session: Session,
    email: str,
    sources: Iterable[SubjectDataSource],
    fmt: str,
    now: datetime,
) -> tuple[str, str]:
    """(body, mimetype) of everything held for the address and its confirmed consent ids."""
    data = export_subject(session, email, subject_consent_ids(session, email), sources)
    if fmt == "json":
        return to_json(data, now), "application/json"
    return "\ufeff" + to_csv(data), "text/csv"  # BOM: spreadsheets read it as UTF-8


def fulfil_erasure(
    session: Session,
    request: ContactRequest,
    actor_email: str,
    sources: Iterable[SubjectDataSource],
    now: datetime,
) -> dict[str, int]:
    """Erase everything about the requester; keep a minimal, anonymous proof.

    What stays: this request's type, dates and final status, and one audit
    entry saying who fulfilled it and how many records each source removed.
    """
    email = request.email
    consent_ids = subject_consent_ids(session, email)
    counts = erase_subject(session, email, consent_ids, sources)
    # What is left: erasure requests of this person, this one included; they
    # lose everything personal and keep only what proves the fulfilment.
    kept = [request, *(r for r in _requests_of(session, email) if r.id != request.id)]
    counts["contact"] = counts.get("contact", 0) + sum(len(r.messages) for r in kept)
    for erasure in kept:
        _anonymize(session, erasure, now)
    if request.status not in ("completed", "rejected"):
        request.status = "completed"
        request.closed_at = now
    summary = ", ".join(f"{name}: {count}" for name, count in sorted(counts.items()))
    entry = AuditEntry(actor=actor_email, action="erased", detail=summary, created_at=now)
    request.audit.append(entry)
    session.add(entry)
    session.flush()
    return counts


def _anonymize(session: Session, request: ContactRequest, now: datetime) -> None:
    request.email = ""
    request.name = ""
    request.message = ""
    request.contract_number = ""
    request.consent_id = ""
    request.extension_reason = ""
    request.erased_at = now
    for message in list(request.messages):
        session.delete(message)
    request.messages.clear()
    # The history of what was done stays (who, what, when); the free text that
    # may hold the person's words or identifiers goes.
    for entry in request.audit:
        if entry.action not in AUDIT_DETAIL_KEPT:
            entry.detail = ""


# Audit details that never hold personal data (status words, rules, formats).
AUDIT_DETAIL_KEPT = frozenset({"status", "verified", "exported", "downloaded", "assigned"})
