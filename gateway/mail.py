"""Outgoing e-mail: written to an outbox table first, then delivered.

A mail is a row before it is anything else, so a request that triggers one is
never lost with it: when the SMTP server is down the row stays, with its
attempt count and the time of the next try, and `gateway mail send` (or the
next delivery attempt of the app) sends it later. Delivered rows are deleted.

With ``SMTP_URL`` set, mail goes through that server (STARTTLS whenever it is
offered, ``smtps://`` for implicit TLS); otherwise each mail is written as an
``.eml`` file to ``MAIL_DIR``.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Mapped, Session, mapped_column

from gateway.db import Base
from gateway.extensions import db
from gateway.timeutil import utcnow

log = logging.getLogger(__name__)

SMTP_TIMEOUT = 10
# Waits between attempts: 1 min, 2, 4, … capped at one hour.
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)


class OutboundMail(Base):
    """A mail waiting for delivery (deleted once delivered)."""

    __tablename__ = "outbound_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str] = mapped_column(sa.Text)
    message_id: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str
    password: str
    implicit_tls: bool


def parse_smtp_url(url: str) -> SmtpSettings:
    """``smtp://user:pass@host:port`` (STARTTLS when offered) or ``smtps://…`` (TLS)."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError("expected smtp://user:pass@host:port or smtps://…")
    implicit_tls = parts.scheme == "smtps"
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or (465 if implicit_tls else 25),
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        implicit_tls=implicit_tls,
    )


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after ``attempts`` failed tries, capped."""
    exponent = min(max(attempts - 1, 0), 16)
    delay: timedelta = min(RETRY_BASE * (2**exponent), RETRY_CAP)
    return delay


def queue_mail(
    session: Session, *, recipient: str, subject: str, text_body: str, html_body: str
) -> OutboundMail:
    """Add a mail to the outbox (committed with the caller's transaction)."""
    sender_domain = current_app.config["CONTACT_EMAIL"].rpartition("@")[2] or "localhost"
    mail = OutboundMail(
        recipient=recipient,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        message_id=make_msgid(domain=sender_domain),
        next_attempt_at=utcnow(),
    )
    session.add(mail)
    return mail


def sender_address(address: str, display_name: str) -> Address:
    """``HotTelecom <privacy@…>``: the display name is encoded as the headers need."""
    username, _at, domain = address.rpartition("@")
    return Address(display_name=display_name, username=username, domain=domain)


def build_message(mail: OutboundMail, sender: str | Address) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = mail.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text_body)
    message.add_alternative(mail.html_body, subtype="html")
    return message


def _write_eml(message: EmailMessage, mail_dir: Path) -> Path:
    mail_dir.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    path = mail_dir / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
    partial = path.with_suffix(".eml.part")
    partial.write_bytes(message.as_bytes())
    partial.replace(path)  # readers never see a half-written file
    return path


def _smtp_send(messages: list[EmailMessage], settings: SmtpSettings) -> list[str | None]:
    """Send over one connection; per message ``None`` or the error text."""
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.implicit_tls:
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=SMTP_TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT)
    results: list[str | None] = []
    with smtp:
        smtp.ehlo()
        if not settings.implicit_tls and smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.username:
            smtp.login(settings.username, settings.password)
        for message in messages:
            try:
                smtp.send_message(message)
                results.append(None)
            except smtplib.SMTPRecipientsRefused as exc:
                # Codes only: the address itself stays out of logs.
                codes = sorted({str(code) for code, _msg in exc.recipients.values()})
                results.append(f"recipient refused ({', '.join(codes)})")
            except smtplib.SMTPResponseException as exc:
                results.append(f"{exc.smtp_code} {exc.smtp_error!r}")
    return results


def deliver_due(
    session: Session, *, limit: int = 50, include_later: bool = False
) -> tuple[int, int]:
    """Deliver up to ``limit`` mails whose time has come; returns (sent, failed).

    ``include_later`` also tries mails still waiting for their next attempt.
    """
    now = utcnow()
    query = sa.select(OutboundMail)
    if not include_later:
        query = query.where(OutboundMail.next_attempt_at <= now)
    # Two processes never send the same mail: rows being sent are locked (PostgreSQL).
    query = query.order_by(OutboundMail.id).limit(limit).with_for_update(skip_locked=True)
    due = list(session.scalars(query))
    if not due:
        return 0, 0
    config = current_app.config
    sender = sender_address(config["CONTACT_EMAIL"], config["MAIL_SENDER_NAME"])
    messages = [build_message(mail, sender) for mail in due]
    errors: list[str | None]
    if config["SMTP_URL"]:
        try:
            errors = _smtp_send(messages, parse_smtp_url(config["SMTP_URL"]))
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            errors = [f"{type(exc).__name__}: {exc}"] * len(due)
        errors += ["not attempted"] * (len(due) - len(errors))
    else:
        mail_dir = Path(config["MAIL_DIR"])
        errors = []
        for message in messages:
            try:
                _write_eml(message, mail_dir)
                errors.append(None)
            except OSError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
    sent = failed = 0
    for mail, error in zip(due, errors, strict=True):
        if error is None:
            session.delete(mail)
            sent += 1
        else:
            mail.attempts += 1
            mail.last_error = error[:1000]
            mail.next_attempt_at = now + retry_delay(mail.attempts)
            failed += 1
            # The recipient's address stays out of the log.
            log.warning("mail %s not delivered (attempt %s): %s", mail.id, mail.attempts, error)
    session.commit()
    return sent, failed


# Mail still undelivered after this long is given up (`gateway purge` removes it):
# the request it belongs to stays, with everything on its status page.
UNDELIVERABLE_AFTER = timedelta(days=7)


def count_undeliverable(now: datetime) -> int:
    query = sa.select(sa.func.count()).select_from(OutboundMail)
    return int(
        db.session.scalar(query.where(OutboundMail.created_at < now - UNDELIVERABLE_AFTER)) or 0
    )


def purge_undeliverable(now: datetime, batch: int) -> int:
    session = db.session()
    old = OutboundMail.created_at < now - UNDELIVERABLE_AFTER
    ids = list(session.scalars(sa.select(OutboundMail.id).where(old).limit(batch)))
    if ids:
        session.execute(sa.delete(OutboundMail).where(OutboundMail.id.in_(ids)))
        session.commit()
    return len(ids)


def pending_count(session: Session) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(OutboundMail)) or 0)


@click.group("mail")
def mail_group() -> None:
    """Outgoing e-mail."""


@mail_group.command("send")
@click.option("--all", "send_all", is_flag=True, help="Also retry mails whose next try is later.")
@with_appcontext
def send_command(send_all: bool) -> None:
    """Deliver the mails waiting in the outbox (run it from cron, e.g. every minute)."""
    session = db.session()
    total_sent = total_failed = 0
    # Bounded: a round stops at the first failure (the server is likely down).
    for _round in range(1000):
        sent, failed = deliver_due(session, include_later=send_all)
        total_sent += sent
        total_failed += failed
        if sent + failed == 0 or failed:
            break
    click.echo(f"sent {total_sent}, failed {total_failed}, waiting {pending_count(session)}")
    if total_failed:
        raise SystemExit(1)


def init_app(app: Flask) -> None:
    from gateway.retention import Purger, register_purger

    app.cli.add_command(mail_group)
    register_purger(
        app, Purger("undeliverable mail (7 days)", count_undeliverable, purge_undeliverable)
    )
