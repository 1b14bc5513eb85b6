"""Links and e-mails to requesters (need an app and request context for URLs)."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, url_for
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy.orm import Session

from gateway.contact.models import ContactRequest
from gateway.contact.texts import status_label, texts, type_label
from gateway.mail import queue_mail
from gateway.signing import serializer

VERIFY_MAX_AGE = 7 * 24 * 3600


class LinkExpired(Exception):
    """A correctly signed link past its lifetime."""


class LinkInvalid(Exception):
    """A link that was not made by this gateway (or was cut short)."""


def _claims(request: ContactRequest) -> dict[str, Any]:
    # The creation time binds the token to this row even if an id is reused
    # after a purge (SQLite reuses the highest deleted rowid).
    return {"r": request.id, "c": request.created_at.isoformat(timespec="seconds")}


def verify_token(request: ContactRequest) -> str:
    return str(serializer("contact-verify").dumps(_claims(request)))


def status_token(request: ContactRequest) -> str:
    return str(serializer("contact-status").dumps(_claims(request)))


def _read(purpose: str, token: str, max_age: int | None) -> tuple[int, str]:
    try:
        claims = serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkExpired from exc
    except BadSignature as exc:
        raise LinkInvalid from exc
    if not isinstance(claims, dict) or not isinstance(claims.get("r"), int):
        raise LinkInvalid
    return claims["r"], str(claims.get("c", ""))


def read_verify_token(token: str) -> tuple[int, str]:
    return _read("contact-verify", token, VERIFY_MAX_AGE)


def read_status_token(token: str) -> tuple[int, str]:
    return _read("contact-status", token, None)


def token_matches(request: ContactRequest | None, created: str) -> bool:
    return request is not None and request.created_at.isoformat(timespec="seconds") == created


def public_url(endpoint: str, **values: Any) -> str:
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    return str(base) + url_for(endpoint, **values)


def _send(
    session: Session,
    request: ContactRequest,
    subject: str,
    paragraphs: list[str],
    link: str,
    link_text: str,
    after_link: list[str] | None = None,
) -> None:
    lang = request.language
    after_link = after_link or []
    text_body = "\n\n".join([*paragraphs, f"{link_text}\n{link}", *after_link, "HotTelecom"])
    html_body = render_template(
        "contact/mail.html",
        lang=lang,
        subject=subject,
        paragraphs=paragraphs,
        link=link,
        link_text=link_text,
        after_link=after_link,
    )
    queue_mail(
        session,
        recipient=request.email,
        subject=subject,
        text_body=text_body + "\n",
        html_body=html_body,
    )


def mail_verification(session: Session, request: ContactRequest) -> None:
    t = texts(request.language)
    kind = type_label(request.language, request.request_type)
    link = public_url("contact.verify", token=verify_token(request))
    _send(
        session,
        request,
        t["mail_verify_subject"].format(id=request.id),
        [t["mail_verify_body"].format(type=kind)],
        link,
        "",
        [t["mail_verify_ignore"]],
    )


def mail_update(
    session: Session,
    request: ContactRequest,
    *,
    message: str = "",
    reason: str = "",
    status_changed: bool = True,
) -> None:
    """Tell the requester about a reply and/or a status change, with the status link."""
    lang = request.language
    t = texts(lang)
    status = status_label(lang, request.status)
    if message and not status_changed:
        subject = t["mail_reply_subject"].format(id=request.id)
    else:
        subject = t["mail_status_subject"].format(id=request.id, status=status)
    paragraphs = [
        t["mail_status_body"].format(type=type_label(lang, request.request_type), status=status)
    ]
    if message:
        paragraphs.append(message)
    if reason:
        paragraphs.append(t["mail_reason"].format(reason=reason))
    if request.due_date and not request.is_closed:
        paragraphs.append(t["mail_due"].format(due=request.due_date.isoformat()))
    link = public_url("contact.status", token=status_token(request))
    _send(session, request, subject, paragraphs, link, t["mail_status_link"])
