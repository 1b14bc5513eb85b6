"""Links and e-mails to requesters (need an app and request context for URLs)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template, url_for
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy.orm import Session

from gateway.contact import deadlines
from gateway.contact.models import ContactRequest, LinkMail
from gateway.contact.texts import explain_due_text, format_date, status_label, texts, type_label
from gateway.mail import queue_mail
from gateway.signing import serializer
from gateway.timeutil import utcnow

VERIFY_MAX_AGE = 7 * 24 * 3600
DAY = 24 * 3600
# The per-address cap on request mails counts over this window.
LINK_MAIL_WINDOW = timedelta(days=1)


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


def data_token(request: ContactRequest) -> str:
    return str(serializer("contact-data").dumps(_claims(request)))


def status_max_age() -> int:
    return int(current_app.config["STATUS_LINK_DAYS"]) * DAY


def read_verify_token(token: str) -> tuple[int, str]:
    return _read("contact-verify", token, VERIFY_MAX_AGE)


def read_status_token(token: str) -> tuple[int, str]:
    return _read("contact-status", token, status_max_age())


def read_expired_status_token(token: str) -> tuple[int, str]:
    """The request a genuine but expired status link names (to mail a fresh one)."""
    return _read("contact-status", token, None)


def read_data_token(token: str) -> tuple[int, str]:
    return _read("contact-data", token, int(current_app.config["DATA_LINK_DAYS"]) * DAY)


def data_available_until(request: ContactRequest) -> date | None:
    """Last day the requester can download their data (completed access requests)."""
    if (
        request.request_type != "access"
        or request.status != "completed"
        or request.closed_at is None
        or request.erased_at is not None
    ):
        return None
    return (request.closed_at + timedelta(days=current_app.config["DATA_LINK_DAYS"])).date()


def data_downloadable(request: ContactRequest, now: datetime) -> bool:
    """The download period of a completed access request has not ended."""
    if data_available_until(request) is None or request.closed_at is None:
        return False
    return now < request.closed_at + timedelta(days=current_app.config["DATA_LINK_DAYS"])


# -- the per-address cap on request mails ------------------------------------------------


def _digest(email: str) -> str:
    key = str(current_app.config["SECRET_KEYS"][0]).encode()
    return hmac.new(
        key, b"contact-link-mail:" + email.strip().lower().encode(), hashlib.sha256
    ).hexdigest()


def link_mail_allowed(session: Session, email: str, now: datetime) -> bool:
    """Whether this address may receive one more request mail now (and count it if so)."""
    digest = _digest(email)
    since = now - LINK_MAIL_WINDOW
    sent = session.scalar(
        sa.select(sa.func.count())
        .select_from(LinkMail)
        .where(LinkMail.recipient_digest == digest, LinkMail.sent_at >= since)
    )
    if int(sent or 0) >= int(current_app.config["VERIFY_MAILS_PER_DAY"]):
        return False
    session.add(LinkMail(recipient_digest=digest, sent_at=now))
    return True


def purge_link_mails(session: Session, now: datetime, batch: int) -> int:
    old = LinkMail.sent_at < now - LINK_MAIL_WINDOW
    ids = list(session.scalars(sa.select(LinkMail.id).where(old).limit(batch)))
    if ids:
        session.execute(sa.delete(LinkMail).where(LinkMail.id.in_(ids)))
        session.commit()
    return len(ids)


def count_link_mails(session: Session, now: datetime) -> int:
    old = LinkMail.sent_at < now - LINK_MAIL_WINDOW
    return int(session.scalar(sa.select(sa.func.count()).select_from(LinkMail).where(old)) or 0)


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
    items: list[tuple[str, str]] | None = None,
) -> None:
    """Queue one mail: greeting, paragraphs, the link (or a list of labelled links)."""
    lang = request.language
    t = texts(lang)
    after_link = after_link or []
    items = items or []
    name = " ".join(request.name.split())
    greeting = t["mail_greeting_name"].format(name=name) if name else t["mail_greeting"]
    signature = t["mail_signature"]
    blocks = [f"{label}\n{url}" for label, url in items]
    if link:
        blocks.append(f"{link_text}\n{link}" if link_text else link)
    text_body = "\n\n".join([greeting, *paragraphs, *blocks, *after_link, signature])
    html_body = render_template(
        "contact/mail.html",
        lang=lang,
        subject=subject,
        greeting=greeting,
        signature=signature,
        paragraphs=paragraphs,
        link=link,
        link_text=link_text,
        after_link=after_link,
        items=items,
    )
    queue_mail(
        session,
        recipient=request.email,
        subject=subject,
        text_body=text_body + "\n",
        html_body=html_body,
    )


def mail_verification(session: Session, request: ContactRequest) -> bool:
    """Queue the verification mail unless the address had its day's share (then False)."""
    if not link_mail_allowed(session, request.email, utcnow()):
        return False
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
    return True


def mail_fresh_link(session: Session, request: ContactRequest) -> bool:
    """A new status link, asked for from an expired one (capped per address like
    verification mails)."""
    if not request.email or not link_mail_allowed(session, request.email, utcnow()):
        return False
    t = texts(request.language)
    link = public_url("contact.status", token=status_token(request))
    days = int(current_app.config["STATUS_LINK_DAYS"])
    _send(
        session,
        request,
        t["mail_fresh_subject"].format(id=request.id),
        [t["mail_fresh_body"].format(id=request.id, days=days)],
        link,
        t["mail_status_link"],
        [t["mail_fresh_ignore"]],
    )
    return True


def due_lines(request: ContactRequest, lang: str) -> list[str]:
    """The due date, the rule in force and why the date falls there (empty when none)."""
    if request.due_date is None or request.verified_at is None or request.is_closed:
        return []
    t = texts(lang)
    due = format_date(request.due_date, lang)
    if request.extended:
        return [t["mail_extended"].format(due=due, reason=request.extension_reason)]
    rule = current_app.config["REQUEST_DEADLINE"]
    explanation = deadlines.explain_due(deadlines.moscow_date(request.verified_at), rule)
    lines = explain_due_text(explanation, lang)
    if explanation.due != request.due_date:
        # Set under another rule than today's: the rule line alone would mislead.
        lines = []
    return [t["mail_due"].format(due=due), *lines]


def mail_update(
    session: Session,
    request: ContactRequest,
    *,
    message: str = "",
    reason: str = "",
    status_changed: bool = True,
    extended: bool = False,
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
    if reason and not extended:
        paragraphs.append(t["mail_reason"].format(reason=reason))
    due = due_lines(request, lang)
    if due:
        paragraphs.append("\n".join(due))
    until = data_available_until(request)
    if until is not None:
        paragraphs.append(t["mail_data_ready"].format(until=format_date(until, lang)))
    link = public_url("contact.status", token=status_token(request))
    _send(session, request, subject, paragraphs, link, t["mail_status_link"])


def mail_status_links(session: Session, email: str, lang: str) -> bool:
    """One mail to ``email`` with the status links of its confirmed, kept requests
    (nothing is sent when it has none, or had its day's share of request mails)."""
    found = list(
        session.scalars(
            sa.select(ContactRequest)
            .where(
                sa.func.lower(ContactRequest.email) == email.lower(),
                ContactRequest.verified_at.is_not(None),
                ContactRequest.erased_at.is_(None),
            )
            .order_by(ContactRequest.id.desc())
            .limit(20)
        )
    )
    if not found or not link_mail_allowed(session, email, utcnow()):
        return False
    t = texts(lang)
    items = [
        (
            t["mail_links_item"].format(
                id=r.id,
                type=type_label(lang, r.request_type),
                status=status_label(lang, r.status),
            ),
            public_url("contact.status", token=status_token(r)),
        )
        for r in found
    ]
    newest = found[0]
    days = int(current_app.config["STATUS_LINK_DAYS"])
    # Addressed as the newest request was, in the language the page was read in.
    addressee = ContactRequest(email=newest.email, name=newest.name, language=lang)
    _send(
        session,
        addressee,
        t["mail_links_subject"],
        [t["mail_links_body"].format(days=days)],
        "",
        "",
        [t["mail_fresh_ignore"]],
        items=items,
    )
    return True
