"""Consent decisions as plain functions: validate, record, read back, export, purge, erase.

Other faces call ``current_state`` (is this consent still given?),
``records_for`` (what the gateway holds about these consent ids) and
``erase_consents`` (a data subject's erasure request).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from gateway.consent import chain
from gateway.consent.models import ConsentRecord
from gateway.consent.texts import BANNER_HASH_LENGTH, banner_texts, categories, text_hash
from gateway.metrics import CONSENT_DECISIONS
from gateway.policy.versions import PolicyState
from gateway.sites import Site

KINDS = ("accept_all", "reject_all", "custom", "change", "withdrawal", "gpc")
# "staff": a withdrawal recorded while fulfilling a data subject's erasure request.
SOURCES = ("banner", "api", "gpc", "staff")
CONSENT_ID = re.compile(r"^[a-z2-7]{4}(?:-[a-z2-7]{4}){3}$")
_ID_SEPARATORS = re.compile(r"[\s\-_.]+")


class InvalidDecision(ValueError):
    """A decision the gateway cannot record; the message says which field and why."""


@dataclass(frozen=True)
class ConsentState:
    consent_id: str
    site: str
    choices: dict[str, bool]
    policy_version: int
    language: str
    kind: str
    decided_at: datetime
    decisions: int

    @property
    def withdrawn(self) -> bool:
        return self.kind == "withdrawal"

    @property
    def grants_optional(self) -> bool:
        """Some category beyond ``necessary`` is still granted."""
        return any(value for name, value in self.choices.items() if name != "necessary")

    def as_json(self) -> dict[str, Any]:
        return {
            "consent_id": self.consent_id,
            "site": self.site,
            "choices": self.choices,
            "policy_version": self.policy_version,
            "language": self.language,
            "last_decision": self.kind,
            "decided_at": self.decided_at.isoformat(timespec="seconds") + "Z",
            "decisions": self.decisions,
            "withdrawn": self.withdrawn,
        }


def new_consent_id() -> str:
    """80 random bits, readable enough to quote in a letter: ``abcd-efgh-ijkl-mnop``."""
    raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


# -- configuration shown to visitors -------------------------------------------------


def consent_config(site: Site, language: str, state: PolicyState) -> dict[str, Any]:
    """The JSON of ``/api/v1/sites/<site>/consent-config``."""
    version = state.consent_version
    current = state.current.number if state.current else 0
    return {
        "site": site.id,
        "name": site.name,
        "language": language,
        "languages": list(site.languages),
        "policy_version": version,
        "current_version": current,
        "upcoming": [
            {"version": v.number, "effective_date": v.effective_date.isoformat()}
            for v in state.upcoming
        ],
        "categories": categories(site, language),
        "texts": banner_texts(site, language, state.upcoming[0] if state.upcoming else None),
        "text_hash": text_hash(site, language, version),
        "look": {"accent": site.accent or None, "layout": site.layout},
        "links": {"policy": "/privacy"},
    }


# -- validating and recording decisions ----------------------------------------------


def normalize_choices(site: Site, raw: Any, *, gpc: bool) -> dict[str, bool]:
    """Every category of the site with a boolean; ``necessary`` is always on, GPC refuses
    the categories that share data with third parties. Unknown categories and non-boolean
    values are errors naming them."""
    if not isinstance(raw, Mapping):
        raise InvalidDecision("choices must be an object of category: true|false")
    known = site.category_ids
    for name, value in raw.items():
        if name not in known:
            raise InvalidDecision(
                f"unknown category {str(name)[:40]!r} (this site has: {', '.join(known)})"
            )
        if not isinstance(value, bool):
            raise InvalidDecision(f"choice for {name!r} must be true or false")
    choices = {cid: bool(raw.get(cid, False)) for cid in known}
    choices["necessary"] = True
    if gpc:
        # Global Privacy Control refuses every category that shares data with third parties.
        for cid in site.third_party:
            if cid in choices:
                choices[cid] = False
    return choices


def decision_kind(choices: Mapping[str, bool], *, changing: bool, gpc: bool) -> str:
    if changing:
        return "change"
    if gpc:
        return "gpc"
    optional = [v for k, v in choices.items() if k != "necessary"]
    if all(optional):
        return "accept_all"
    if not any(optional):
        return "reject_all"
    return "custom"


@dataclass(frozen=True)
class DecisionInput:
    """What a visitor (or an API client) sent, already parsed from JSON."""

    site: Site
    choices: Any
    policy_version: Any
    language: Any
    text_hash: Any
    gpc: bool
    source: str
    browser_family: str
    existing_consent_id: str | None = None


def record_decision(
    session: Session, decision: DecisionInput, state: PolicyState, now: datetime
) -> ConsentRecord:
    """Validate a decision and append it to the chain (in the caller's transaction)."""
    site = decision.site
    language = decision.language
    if not isinstance(language, str) or language not in site.languages:
        raise InvalidDecision(f"language must be one of: {', '.join(site.languages)}")
    version = decision.policy_version
    if isinstance(version, bool) or not isinstance(version, int):
        raise InvalidDecision("policy_version must be an integer")
    if not 0 <= version <= state.consent_version:
        raise InvalidDecision(
            f"policy_version {version} is not a version visitors are asked about "
            f"(current: {state.consent_version})"
        )
    shown = text_hash(site, language, version)
    sent = decision.text_hash
    # The whole hash, or the start of it the banner carries; the whole one is recorded.
    if not isinstance(sent, str) or sent not in (shown, shown[:BANNER_HASH_LENGTH]):
        raise InvalidDecision(
            "text_hash does not match the texts of this site, language and policy version; "
            "fetch the consent-config again"
        )
    choices = normalize_choices(site, decision.choices, gpc=decision.gpc)
    changing = decision.existing_consent_id is not None
    fields = {
        "consent_id": decision.existing_consent_id or new_consent_id(),
        "site": site.id,
        "kind": decision_kind(choices, changing=changing, gpc=decision.gpc),
        "source": "gpc" if decision.gpc else decision.source,
        "choices": _canonical(choices),
        "policy_version": version,
        "language": language,
        "text_hash": shown,
        "browser_family": decision.browser_family[:64],
    }
    return _counted(session, chain.append(session, fields, now))


def record_withdrawal(
    session: Session, state: ConsentState, source: str, browser_family: str, now: datetime
) -> ConsentRecord:
    """Withdrawal: every optional category off, recorded like any decision."""
    choices = {cid: cid == "necessary" for cid in state.choices}
    fields = {
        "consent_id": state.consent_id,
        "site": state.site,
        "kind": "withdrawal",
        "source": source,
        "choices": _canonical(choices),
        "policy_version": state.policy_version,
        "language": state.language,
        "text_hash": None,
        "browser_family": browser_family[:64],
    }
    return _counted(session, chain.append(session, fields, now))


def withdraw(
    session: Session, consent_id: str, source: str, browser_family: str, now: datetime
) -> ConsentState | None:
    """Withdraw a consent unless its latest decision already is a withdrawal.

    The state is read under the chain lock, so withdrawals sent at the same moment
    (two tabs, two nodes) record one withdrawal, not one each. Returns the state
    before this call (None when nothing is kept for the id).
    """
    chain.lock(session)
    state = current_state(session, consent_id)
    if state is not None and not state.withdrawn:
        record_withdrawal(session, state, source, browser_family, now)
    return state


def withdraw_on_request(session: Session, consent_id: str, now: datetime) -> str:
    """A withdrawal asked for on the contact form, recorded when staff complete the request.

    Returns what happened: ``withdrawn``, ``already withdrawn`` or ``not found``.
    """
    state = withdraw(session, consent_id, "staff", "", now)
    if state is None:
        return "not found"
    return "already withdrawn" if state.withdrawn else "withdrawn"


# -- metrics: a decision counts once its transaction is committed ----------------------

_UNCOUNTED = "gateway.consent.uncounted_decisions"


def _counted(session: Session, record: ConsentRecord) -> ConsentRecord:
    session.info.setdefault(_UNCOUNTED, []).append(record.kind or "")
    if not event.contains(session, "after_commit", _count_committed):
        event.listen(session, "after_commit", _count_committed)
        event.listen(session, "after_rollback", _forget_rolled_back)
    return record


def _count_committed(session: Session) -> None:
    for kind in session.info.pop(_UNCOUNTED, []):
        CONSENT_DECISIONS.labels(kind).inc()


def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_UNCOUNTED, None)


def _canonical(choices: Mapping[str, bool]) -> str:
    return json.dumps(dict(sorted(choices.items())), separators=(",", ":"))


def choices_of(record: ConsentRecord) -> dict[str, bool]:
    return _parse_choices(record.choices)


def _parse_choices(stored: str | None) -> dict[str, bool]:
    loaded = json.loads(stored or "{}")
    return {str(k): bool(v) for k, v in loaded.items()}


# -- reading back ---------------------------------------------------------------------


def current_state(session: Session, consent_id: str) -> ConsentState | None:
    """The latest decision of a consent id (``withdrawn`` when it was withdrawn), or None."""
    rows = session.scalars(
        sa.select(ConsentRecord)
        .where(ConsentRecord.consent_id == consent_id, ConsentRecord.purged.is_(False))
        .order_by(ConsentRecord.seq.desc())
    ).all()
    if not rows:
        return None
    latest = rows[0]
    return ConsentState(
        consent_id=consent_id,
        site=latest.site or "",
        choices=choices_of(latest),
        policy_version=latest.policy_version or 0,
        language=latest.language or "",
        kind=latest.kind or "",
        decided_at=latest.created_at,
        decisions=len(rows),
    )


@dataclass(frozen=True)
class Standing:
    """The latest decision of a consent id, as much as the analytics intake needs."""

    withdrawn: bool
    choices: dict[str, bool]
    policy_version: int

    def grants(self, category: str) -> bool:
        return not self.withdrawn and self.choices.get(category, False)


_LATEST_DECISION = (
    sa.select(ConsentRecord.kind, ConsentRecord.choices, ConsentRecord.policy_version)
    .where(
        ConsentRecord.consent_id == sa.bindparam("consent_id"),
        ConsentRecord.purged.is_(False),
    )
    .order_by(ConsentRecord.seq.desc())
    .limit(1)
)


def current_standing(connection: sa.Connection, consent_id: str) -> Standing | None:
    """``current_state`` in brief: one row and three columns, on a plain connection.

    The intake asks this once per new visitor per worker; the full state (every
    decision loaded through the ORM, a session opened and closed) cost seven
    times as much.
    """
    row = connection.execute(_LATEST_DECISION, {"consent_id": consent_id}).first()
    if row is None:
        return None
    return _standing_of(row.kind, row.choices, row.policy_version)


def _standing_of(kind: str | None, choices: str | None, policy_version: int | None) -> Standing:
    return Standing(
        withdrawn=kind == "withdrawal",
        choices=_parse_choices(choices),
        policy_version=policy_version or 0,
    )


class StandingQuery:
    """``current_standing`` on a DB-API cursor: the same statement, compiled once.

    The intake asks it on every beacon that carries a token, so that a
    withdrawal recorded by any worker or node takes effect at the very next
    one; through a SQLAlchemy connection (checkout, compiled-cache lookup,
    result wrapping) the one indexed row cost five times the query itself.
    """

    def __init__(self, dialect: sa.Dialect) -> None:
        compiled = _LATEST_DECISION.compile(dialect=dialect)
        self.sql = str(compiled)
        # The statement's own parameters (the LIMIT) with a placeholder id.
        self._static = compiled.construct_params({"consent_id": ""})
        self._order = list(compiled.positiontup or ()) if compiled.positional else None

    def params(self, consent_id: str) -> Any:
        values = {**self._static, "consent_id": consent_id}
        if self._order is None:
            return values
        return tuple(values[name] for name in self._order)

    def run(self, cursor: Any, consent_id: str) -> Standing | None:
        cursor.execute(self.sql, self.params(consent_id))
        row = cursor.fetchone()
        return None if row is None else _standing_of(row[0], row[1], row[2])


def record_as_dict(record: ConsentRecord) -> dict[str, Any]:
    return {
        "seq": record.seq,
        "consent_id": record.consent_id,
        "site": record.site,
        "kind": record.kind,
        "source": record.source,
        "choices": choices_of(record),
        "policy_version": record.policy_version,
        "language": record.language,
        "text_hash": record.text_hash,
        "browser_family": record.browser_family,
        "created_at": chain.timestamp(record.created_at) + "Z",
        "prev_hash": record.prev_hash,
        "record_hash": record.record_hash,
    }


def kept_records(session: Session, consent_ids: Sequence[str]) -> list[ConsentRecord]:
    """Every kept (not purged) record of these consent ids, oldest first."""
    wanted = sorted({c for c in consent_ids if c})
    if not wanted:
        return []
    return list(
        session.scalars(
            sa.select(ConsentRecord)
            .where(ConsentRecord.consent_id.in_(wanted), ConsentRecord.purged.is_(False))
            .order_by(ConsentRecord.seq)
        )
    )


def records_for(session: Session, consent_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Every kept record of these consent ids, oldest first (for access requests)."""
    return [record_as_dict(r) for r in kept_records(session, consent_ids)]


def export_query(since: date | None) -> sa.Select[Any]:
    query = sa.select(ConsentRecord).where(ConsentRecord.purged.is_(False))
    if since is not None:
        query = query.where(
            ConsentRecord.created_at >= datetime.combine(since, datetime.min.time())
        )
    return query.order_by(ConsentRecord.seq)


def count_export(session: Session, since: date | None) -> int:
    sub = export_query(since).subquery()
    return int(session.scalar(sa.select(sa.func.count()).select_from(sub)) or 0)


def iter_export(session: Session, since: date | None) -> Iterator[dict[str, Any]]:
    rows = session.scalars(export_query(since).execution_options(yield_per=500))
    for record in rows:
        yield record_as_dict(record)


@dataclass(frozen=True)
class DailyDecisions:
    """Decisions of one day and site: how many of each kind, and how many granted each category.

    ``offered`` counts the decisions that had a choice for each category (sites differ in
    their categories, so a rate over several sites divides by it, not by ``total``).
    """

    day: date
    site: str
    kinds: dict[str, int]
    granted: dict[str, int]
    total: int
    offered: dict[str, int] = field(default_factory=dict)


def daily_decisions(
    session: Session, since: date, until: date | None = None, site: str | None = None
) -> list[DailyDecisions]:
    """Per day and site from ``since`` to ``until`` (inclusive, UTC days), for the admin
    charts (oldest day first); ``site`` keeps one site only."""
    query = sa.select(
        ConsentRecord.created_at, ConsentRecord.site, ConsentRecord.kind, ConsentRecord.choices
    ).where(
        ConsentRecord.purged.is_(False),
        ConsentRecord.created_at >= datetime.combine(since, datetime.min.time()),
    )
    if until is not None:
        end = datetime.combine(until + timedelta(days=1), datetime.min.time())
        query = query.where(ConsentRecord.created_at < end)
    if site is not None:
        query = query.where(ConsentRecord.site == site)
    rows = session.execute(query.order_by(ConsentRecord.seq).execution_options(yield_per=1000))
    buckets: dict[tuple[date, str], tuple[dict[str, int], dict[str, int], dict[str, int]]] = {}
    for created_at, site_id, kind, choices in rows:
        kinds, granted, offered = buckets.setdefault(
            (created_at.date(), site_id or ""), ({}, {}, {})
        )
        kinds[kind or ""] = kinds.get(kind or "", 0) + 1
        for category, value in json.loads(choices or "{}").items():
            granted[category] = granted.get(category, 0) + (1 if value else 0)
            offered[category] = offered.get(category, 0) + 1
    return [
        DailyDecisions(day, site_id, kinds, granted, sum(kinds.values()), offered)
        for (day, site_id), (kinds, granted, offered) in sorted(buckets.items())
    ]


# -- retention -----------------------------------------------------------------------


def _expired_consents(cutoff: datetime) -> sa.Select[Any]:
    return (
        sa.select(ConsentRecord.consent_id)
        .where(ConsentRecord.consent_id.is_not(None))
        .group_by(ConsentRecord.consent_id)
        .having(sa.func.max(ConsentRecord.created_at) < cutoff)
    )


def count_expired(session: Session, now: datetime, retention_days: int) -> int:
    cutoff = now - timedelta(days=retention_days)
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(ConsentRecord)
            .where(
                ConsentRecord.purged.is_(False),
                ConsentRecord.consent_id.in_(_expired_consents(cutoff)),
            )
        )
        or 0
    )


def purge_expired(session: Session, now: datetime, retention_days: int, batch: int) -> int:
    """Reduce up to ``batch`` records of consents past retention to their chain links."""
    cutoff = now - timedelta(days=retention_days)
    ids = session.scalars(
        sa.select(ConsentRecord.id)
        .where(
            ConsentRecord.purged.is_(False),
            ConsentRecord.consent_id.in_(_expired_consents(cutoff)),
        )
        .order_by(ConsentRecord.seq)
        .limit(batch)
    ).all()
    return blank_records(session, ids)


def blank_records(session: Session, record_ids: Sequence[int]) -> int:
    """Reduce these records to their chain links (sequence number and hashes).

    Nothing about the visitor stays, and the chain still verifies: a purged record
    is checked by its links only. Used by retention and by erasure requests.
    """
    if not record_ids:
        return 0
    session.execute(
        sa.update(ConsentRecord)
        .where(ConsentRecord.id.in_(record_ids))
        .values(
            consent_id=None,
            site=None,
            kind=None,
            source=None,
            choices=None,
            policy_version=None,
            language=None,
            text_hash=None,
            browser_family=None,
            purged=True,
        )
        .execution_options(synchronize_session=False)
    )
    return len(record_ids)


# -- erasure -------------------------------------------------------------------------


def erase_consents(session: Session, consent_ids: Sequence[str], now: datetime) -> int:
    """A data subject's erasure request: end and erase these consents.

    A consent that still grants something is first withdrawn, recorded like any
    decision (the withdrawal is proof that the consent ended). Then every record of
    these ids, that withdrawal included, is reduced to its chain link, so nothing
    left can be linked to the person. Returns how many of the subject's records
    were erased (the withdrawal written here is not counted).
    """
    wanted = sorted({c for c in consent_ids if c})
    added = 0
    for consent_id in wanted:
        state = current_state(session, consent_id)
        if state is not None and state.grants_optional:
            record_withdrawal(session, state, "staff", "", now)
            added += 1
    records = kept_records(session, wanted)
    erased = blank_records(session, [record.id for record in records])
    for record in records:
        session.expire(record)  # blanked in the database, not in these loaded objects
    return erased - added


def normalise_consent_id(raw: str) -> str | None:
    """The consent id as stored, from what a person typed or pasted (case, spaces and
    dashes do not matter), or None when it cannot be one."""
    compact = _ID_SEPARATORS.sub("", raw[:100]).lower()
    candidate = "-".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    return candidate if CONSENT_ID.match(candidate) else None
