"""Data-subject requests, the messages exchanged on them, and their audit trail."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.db import Base
from gateway.timeutil import utcnow

REQUEST_TYPES = ("access", "rectify", "erase", "withdraw-consent", "refund", "question", "other")

STATUS_UNVERIFIED = "unverified"
STATUS_OPEN = "open"
STATUS_IN_PROGRESS = "in_progress"
STATUS_WAITING = "waiting"
STATUS_COMPLETED = "completed"
STATUS_REJECTED = "rejected"
STATUSES = (
    STATUS_UNVERIFIED,
    STATUS_OPEN,
    STATUS_IN_PROGRESS,
    STATUS_WAITING,
    STATUS_COMPLETED,
    STATUS_REJECTED,
)
CLOSED_STATUSES = (STATUS_COMPLETED, STATUS_REJECTED)

AUTHOR_STAFF = "staff"
AUTHOR_REQUESTER = "requester"


class ContactRequest(Base):
    """One request sent through /contact; the e-mail is the data subject's."""

    __tablename__ = "contact_requests"
    __table_args__ = (
        sa.Index("ix_contact_requests_status_due", "status", "due_date"),
        sa.Index("ix_contact_requests_email", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    request_type: Mapped[str] = mapped_column(sa.String(32))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    contract_number: Mapped[str] = mapped_column(sa.String(64), default="")
    service_date: Mapped[date | None] = mapped_column(default=None)
    # Whether the refund was asked within the §6 window (refunds only).
    refund_in_window: Mapped[bool | None] = mapped_column(default=None)
    consent_id: Mapped[str] = mapped_column(sa.String(64), default="")
    status: Mapped[str] = mapped_column(sa.String(16), default=STATUS_UNVERIFIED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(default=None)
    due_date: Mapped[date | None] = mapped_column(default=None)
    extended: Mapped[bool] = mapped_column(default=False)
    extension_reason: Mapped[str] = mapped_column(sa.Text, default="")
    assignee_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set when the subject's data was erased: the row keeps only the minimal
    # proof that the request was fulfilled.
    erased_at: Mapped[datetime | None] = mapped_column(default=None)

    messages: Mapped[list[RequestMessage]] = relationship(
        back_populates="request",
        cascade="all, delete-orphan",
        order_by="RequestMessage.id",
        passive_deletes=True,
    )
    audit: Mapped[list[AuditEntry]] = relationship(
        back_populates="request",
        cascade="all, delete-orphan",
        order_by="AuditEntry.id",
        passive_deletes=True,
    )

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES


class RequestMessage(Base):
    """A reply shown to the requester on the status page (and e-mailed), or their answer."""

    __tablename__ = "contact_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contact_requests.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(sa.String(16))  # staff | requester
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[ContactRequest] = relationship(back_populates="messages")


class AuditEntry(Base):
    """Who did what to a request, and when; shown on the request to staff."""

    __tablename__ = "contact_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contact_requests.id", ondelete="CASCADE"), index=True
    )
    actor: Mapped[str] = mapped_column(sa.String(254))  # staff e-mail, "requester" or "system"
    action: Mapped[str] = mapped_column(sa.String(32))
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[ContactRequest] = relationship(back_populates="audit")


class LinkMail(Base):
    """One request mail (verification or fresh status link) sent to an address.

    Kept a day, to cap how many such mails one mailbox receives: the address is
    stored only as a keyed digest, never in clear.
    """

    __tablename__ = "contact_link_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_digest: Mapped[str] = mapped_column(sa.String(64), index=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
