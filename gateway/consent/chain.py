"""The hash chain of consent records: appending under a lock, and verifying."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.consent.models import GENESIS_HASH, HEAD_ID, ConsentChainHead, ConsentRecord

# The fields a record's hash covers, in the order they are listed in exports.
HASHED_FIELDS = (
    "seq",
    "consent_id",
    "site",
    "kind",
    "source",
    "choices",
    "policy_version",
    "language",
    "text_hash",
    "browser_family",
    "created_at",
    "prev_hash",
)


def timestamp(value: datetime) -> str:
    return value.replace(tzinfo=None).isoformat(timespec="microseconds")


def record_digest(fields: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON of a record's hashed fields."""
    material = {name: fields.get(name) for name in HASHED_FIELDS}
    if isinstance(material["created_at"], datetime):
        material["created_at"] = timestamp(material["created_at"])
    canonical = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def digest_of(record: ConsentRecord) -> str:
    return record_digest({name: getattr(record, name) for name in HASHED_FIELDS})


def ensure_head(session: Session) -> None:
    """Create the chain head (continuing from the last record) if it is missing."""
    if session.get(ConsentChainHead, HEAD_ID) is not None:
        return
    last = session.scalars(
        sa.select(ConsentRecord).order_by(ConsentRecord.seq.desc()).limit(1)
    ).first()
    head = ConsentChainHead(
        id=HEAD_ID,
        seq=last.seq if last else 0,
        hash=last.record_hash if last else GENESIS_HASH,
    )
    try:
        with session.begin_nested():
            session.add(head)
    except IntegrityError:
        # Another writer created it at the same moment: theirs is as good as ours.
        pass


def _locked_head(session: Session) -> ConsentChainHead:
    # The UPDATE comes first so the write lock (SQLite) or row lock (PostgreSQL)
    # is held before the head is read: appends are serialized, never forked.
    updated = session.execute(
        sa.update(ConsentChainHead)
        .where(ConsentChainHead.id == HEAD_ID)
        .values(seq=ConsentChainHead.seq)
        .execution_options(synchronize_session=False)
    )
    if getattr(updated, "rowcount", 1) == 0:
        ensure_head(session)
    head = session.get(ConsentChainHead, HEAD_ID, with_for_update=True, populate_existing=True)
    assert head is not None
    return head


def lock(session: Session) -> None:
    """Hold the chain's write lock until the caller's transaction ends.

    A decision that depends on the latest state of a consent (a withdrawal is
    recorded only once) reads that state after this, so two nodes deciding at
    the same moment see each other's records.
    """
    _locked_head(session)


def append(session: Session, fields: dict[str, Any], now: datetime) -> ConsentRecord:
    """Add one record at the end of the chain, inside the caller's transaction."""
    head = _locked_head(session)
    record = ConsentRecord(
        seq=head.seq + 1, created_at=now, prev_hash=head.hash, purged=False, **fields
    )
    record.record_hash = digest_of(record)
    session.add(record)
    head.seq = record.seq
    head.hash = record.record_hash
    session.flush()
    return record


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(session: Session, progress: Callable[[int], None] | None = None) -> ChainReport:
    """Walk the chain in order; report the first record that does not fit."""
    expected_seq, expected_prev, checked = 1, GENESIS_HASH, 0
    rows = session.scalars(
        sa.select(ConsentRecord).order_by(ConsentRecord.seq).execution_options(yield_per=1000)
    )
    for record in rows:
        where = f"record #{record.seq}" + (
            f" (consent {record.consent_id})" if record.consent_id else ""
        )
        if record.seq != expected_seq:
            return ChainReport(
                checked,
                expected_seq,
                f"record #{expected_seq} is missing (next found is #{record.seq})",
            )
        if record.prev_hash != expected_prev:
            return ChainReport(checked, record.seq, f"{where}: previous-record hash does not match")
        if not record.purged and digest_of(record) != record.record_hash:
            return ChainReport(checked, record.seq, f"{where}: content does not match its hash")
        expected_seq, expected_prev = record.seq + 1, record.record_hash
        checked += 1
        if progress:
            progress(1)
    head = session.get(ConsentChainHead, HEAD_ID)
    last_seq = expected_seq - 1
    if head is not None and head.seq > last_seq:
        return ChainReport(
            checked,
            last_seq + 1,
            f"record #{last_seq + 1} is missing: the chain head says #{head.seq} is the last",
        )
    if head is not None and (head.seq, head.hash) != (last_seq, expected_prev):
        return ChainReport(checked, last_seq, f"record #{last_seq} does not match the chain head")
    return ChainReport(checked)
