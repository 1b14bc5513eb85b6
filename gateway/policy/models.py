from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.db import Base
from gateway.timeutil import utcnow


class PolicyVersion(Base):
    """A published version of the privacy policy; never edited after publishing."""

    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    effective_date: Mapped[date]
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    material: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when an announced version is cancelled before it took effect: it is kept
    # (what was announced stays on record) but no reader, feed or banner sees it.
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    texts: Mapped[list[PolicyText]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="PolicyText.lang"
    )


class PolicyText(Base):
    """The policy of one version in one language, as Markdown."""

    __tablename__ = "policy_texts"
    __table_args__ = (sa.UniqueConstraint("version_id", "lang", name="uq_policy_texts_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("policy_versions.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.String(200))
    markdown: Mapped[str] = mapped_column(sa.Text)
    # The version's summary in this text's language (the banner's "what changed").
    summary: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    version: Mapped[PolicyVersion] = relationship(back_populates="texts")
