"""Proof of consent: an append-only, hash-chained record of every decision.

Each record carries the hash of the record before it, so editing, removing or
reordering a record breaks the chain at that point (``gateway consent verify``).
The single ``consent_chain_head`` row is updated in the same transaction as
each append: writers queue on it, so two concurrent decisions can never both
claim the same predecessor and fork the chain.

Records hold no IP address and no User-Agent: only a coarse browser family.
When a consent passes its retention period its records are reduced to their
place in the chain (sequence number and hashes), which keeps the chain
verifiable while nothing about the visitor remains.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base
from gateway.timeutil import utcnow

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

GENESIS_HASH = "0" * 64
HEAD_ID = 1


class ConsentRecord(Base):
    __tablename__ = "consent_records"
    __table_args__ = (
        sa.Index("ix_consent_records_consent_id_seq", "consent_id", "seq"),
        sa.Index("ix_consent_records_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # Position in the chain: 1, 2, 3 … without gaps.
    seq: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    consent_id: Mapped[str | None] = mapped_column(sa.String(32))
    site: Mapped[str | None] = mapped_column(sa.String(64))
    # accept_all | reject_all | custom | change | withdrawal | gpc
    kind: Mapped[str | None] = mapped_column(sa.String(16))
    # banner | api | gpc
    source: Mapped[str | None] = mapped_column(sa.String(16))
    # Canonical JSON: {"analytics": true, "necessary": true, …} with sorted keys.
    choices: Mapped[str | None] = mapped_column(sa.Text)
    policy_version: Mapped[int | None] = mapped_column(sa.Integer)
    language: Mapped[str | None] = mapped_column(sa.String(8))
    text_hash: Mapped[str | None] = mapped_column(sa.String(64))
    browser_family: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    record_hash: Mapped[str] = mapped_column(sa.String(64))
    # Past retention: everything but the chain links has been removed.
    purged: Mapped[bool] = mapped_column(default=False)


class ConsentChainHead(Base):
    """One row: the last sequence number and hash of the chain."""

    __tablename__ = "consent_chain_head"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS_HASH)
