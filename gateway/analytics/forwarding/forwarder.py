"""The forwarder: outbox → Google Analytics 4 Measurement Protocol, without loss.

A ``Forwarder`` claims due events, builds valid requests (gateway.analytics.forwarding.ga4),
posts them over one reused ``requests.Session`` and records the outcome in the
same transaction that changes the events' status (gateway.analytics.forwarding.outbox).
429, 5xx, timeouts and connection errors are retried with exponential backoff
and jitter (honouring Retry-After); other 4xx are dead-lettered with GA's
answer.  With ``GA_ENDPOINT=dry-run`` requests are built and validated exactly
as if sent, and kept instead.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gateway.analytics.forwarding import outbox
from gateway.analytics.forwarding.ga4 import MAX_EVENTS_PER_REQUEST, BuiltRequest, build_requests
from gateway.analytics.forwarding.models import (
    ENDPOINT_DRY_RUN,
    ENDPOINT_LIVE,
    OUTCOME_DEAD,
    OUTCOME_DRY_RUN,
    OUTCOME_RETRY,
    OUTCOME_SENT,
)
from gateway.analytics.intake.aggregate import CloseResult, close_windows, micros
from gateway.metrics import FORWARD_ATTEMPTS
from gateway.sites import Site
from gateway.timeutil import utcnow

log = logging.getLogger("gateway.forward")

DRY_RUN = "dry-run"
USER_AGENT = "HotTelecom-Gateway/1.0 (Measurement Protocol forwarder)"
# A Retry-After longer than this is treated as this (a misconfigured proxy
# must not park the outbox for days).
RETRY_AFTER_LIMIT = 3600.0
# Events claimed per transaction: enough for several full 25-event requests.
CLAIM_LIMIT = 250
# Marking events GA accepted is retried while the database is away: first after
# this many seconds, doubling up to the max, until SETTLE_MARGIN before the claim
# would expire.
SETTLE_RETRY_FIRST = 0.1
SETTLE_RETRY_MAX = 2.0
SETTLE_MARGIN = 1.0


@dataclass(frozen=True)
class ForwardSettings:
    endpoint: str = DRY_RUN
    timeout: float = 10.0
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    claim_ttl: float = 300.0
    once_deadline: float = 120.0
    poll_interval: float = 2.0
    aggregate_window: int = 3600
    aggregate_min_count: int = 5
    claim_limit: int = CLAIM_LIMIT

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ForwardSettings:
        return cls(
            endpoint=str(config["GA_ENDPOINT"]).strip() or DRY_RUN,
            timeout=float(config["GA_TIMEOUT"]),
            backoff_base=float(config["FORWARD_BACKOFF_BASE"]),
            backoff_max=float(config["FORWARD_BACKOFF_MAX"]),
            claim_ttl=float(config["FORWARD_CLAIM_TTL"]),
            once_deadline=float(config["FORWARD_ONCE_DEADLINE"]),
            poll_interval=float(config["FORWARD_POLL_INTERVAL"]),
            aggregate_window=int(config["AGGREGATE_WINDOW"]),
            aggregate_min_count=int(config["AGGREGATE_MIN_COUNT"]),
        )

    @property
    def dry_run(self) -> bool:
        return self.endpoint.lower() == DRY_RUN

    def url(self, path: str) -> str:
        return self.endpoint.rstrip("/") + path


# ---------------------------------------------------------------- pure helpers


def classify(status_code: int) -> str:
    """What an HTTP status means for the events of the request."""
    if 200 <= status_code < 300:
        return OUTCOME_SENT
    if status_code in (408, 429) or status_code >= 500:
        return OUTCOME_RETRY
    return OUTCOME_DEAD


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now.replace(tzinfo=UTC)).total_seconds())


def backoff_delay(
    attempts: int,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float:
    """Exponential backoff with jitter, capped; a longer Retry-After wins.

    Half of the delay is fixed and half random, so many workers that failed
    together do not retry together, yet each still waits a meaningful time.
    """
    exponent = min(max(attempts - 1, 0), 30)
    delay = float(min(cap, base * 2**exponent))
    delay = delay / 2 + rand() * delay / 2
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_LIMIT))
    return delay


def attempt_label(result: HttpOutcome) -> str:
    """The upstream status of an attempt for /metrics, or the kind of error without one."""
    if result.status_code is not None:
        return str(result.status_code)
    error = (result.error or "error").split(" (")[0]
    return error.replace(" ", "_")


def synthetic_client_id() -> str:
    """GA needs a client id; aggregate requests get a fresh random one every time.

    Shaped as GA writes its own (10 digits, a dot, 10 digits), never 0: GA counts
    a client id of 0 as no client id at all.
    """
    first = 1_000_000_000 + secrets.randbelow(9_000_000_000)
    second = 1_000_000_000 + secrets.randbelow(9_000_000_000)
    return f"{first}.{second}"


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


# ---------------------------------------------------------------- the worker


@dataclass
class HttpOutcome:
    outcome: str
    status_code: int | None = None
    response_text: str | None = None
    error: str | None = None
    retry_after: float | None = None
    duration_ms: int = 0


@dataclass
class ForwardTotals:
    claimed: int = 0
    sent: int = 0
    dry_run: int = 0
    dead: int = 0
    requests: int = 0
    failed_requests: int = 0
    released: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, other: ForwardTotals) -> None:
        for name in (
            "claimed",
            "sent",
            "dry_run",
            "dead",
            "requests",
            "failed_requests",
            "released",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for reason, count in other.reasons.items():
            self.reasons[reason] = self.reasons.get(reason, 0) + count


@dataclass
class DrainResult:
    totals: ForwardTotals
    pending_left: int
    gave_up: bool


class Forwarder:
    """One worker.  Safe to run many at once, in threads or processes."""

    def __init__(
        self,
        engine: Engine,
        sites: Mapping[str, Site],
        settings: ForwardSettings,
        *,
        worker: str | None = None,
        http: requests.Session | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        if not settings.dry_run:
            parts = urlsplit(settings.endpoint)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(
                    f"GA_ENDPOINT={settings.endpoint!r}: expected dry-run or a base URL "
                    "such as https://region1.google-analytics.com"
                )
        if settings.claim_ttl < 4 * settings.timeout:
            # A request may take 2 × GA_TIMEOUT (connect + read); a claim must
            # outlive it with room to spare, or another worker would resend.
            raise ValueError(
                f"FORWARD_CLAIM_TTL ({settings.claim_ttl:g} s) must be at least "
                f"4 × GA_TIMEOUT ({4 * settings.timeout:g} s)"
            )
        self.engine = engine
        self.sites = sites
        self.settings = settings
        self.worker = worker or worker_name()
        self.stop = stop or threading.Event()
        self.http = http or requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT
        # urllib3's debug lines print request URLs, and ours carry the API secret.
        logging.getLogger("urllib3").setLevel(max(logging.INFO, logging.getLogger("urllib3").level))
        # When the last failed request asked GA to be left alone until.
        self._retry_at = utcnow()
        # When the current claim runs out (time.monotonic()).
        self._claim_deadline = 0.0

    def close(self) -> None:
        self.http.close()

    # -- aggregate windows

    def close_due_windows(self, flush: bool = False) -> CloseResult:
        origins = {sid: (s.origins[0] if s.origins else None) for sid, s in self.sites.items()}
        result = close_windows(
            self.engine,
            utcnow(),
            self.settings.aggregate_window,
            self.settings.aggregate_min_count,
            origins,
            flush=flush,
        )
        if result.events or result.dropped_count:
            log.info(
                "closed %d aggregate window(s): %d bucket event(s), %d event(s) under k dropped",
                result.windows,
                result.events,
                result.dropped_count,
            )
        return result

    # -- one claim

    def forward_batch(self) -> ForwardTotals:
        """Claim due events once and deal with all of them; returns what happened."""
        now = utcnow()
        claimed = outbox.claim(
            self.engine, self.worker, now, self.settings.claim_limit, self.settings.claim_ttl
        )
        totals = ForwardTotals(claimed=len(claimed))
        if not claimed:
            return totals
        claim_deadline = time.monotonic() + self.settings.claim_ttl
        self._claim_deadline = claim_deadline
        attempts = {c.item.id: c.attempts for c in claimed}
        built = build_requests([c.item for c in claimed], micros(now), synthetic_client_id)
        totals.reasons.update(built.reasons)
        if built.dropped:
            totals.dead += outbox.dead_letter(
                self.engine,
                self.worker,
                {i: f"invalid: {reason}" for i, reason in built.dropped.items()},
                utcnow(),
            )
        requests_left = self._hold_back_partial_aggregates(built.requests, len(claimed), totals)
        while requests_left:
            request = requests_left.pop(0)
            # Never send on a claim that could expire mid-request: another worker
            # would then send the same events.
            margin = self.settings.timeout * 2 + 1
            if self.stop.is_set() or time.monotonic() + margin > claim_deadline:
                self._release_unsent([request, *requests_left], utcnow(), totals)
                break
            if not self._deliver(request, attempts, totals):
                self._release_unsent(requests_left, self._retry_at, totals)
                break
        return totals

    def _hold_back_partial_aggregates(
        self, built: list[BuiltRequest], claimed: int, totals: ForwardTotals
    ) -> list[BuiltRequest]:
        """With a backlog, a part-filled aggregate request waits for the next claim.

        A full claim means more is waiting; the remainder of an aggregate group
        then goes back (first in line, as claims take the oldest ids) to be
        packed with the next claim's events instead of costing a request of its
        own.  Only when this claim also sends a full request, so every claim
        makes progress.
        """
        has_full = any(len(r.event_ids) >= MAX_EVENTS_PER_REQUEST for r in built)
        if claimed < self.settings.claim_limit or not has_full:
            return list(built)
        held = [
            r
            for r in built
            if r.mode == "aggregate"
            and r.last_of_group
            and len(r.event_ids) < MAX_EVENTS_PER_REQUEST
        ]
        if held:
            self._release_unsent(held, utcnow(), totals)
        return [r for r in built if r not in held]

    def _release_unsent(
        self, pending: list[BuiltRequest], available_at: datetime, totals: ForwardTotals
    ) -> None:
        ids = [i for r in pending for i in r.event_ids]
        if ids:
            totals.released += outbox.release_for_retry(
                self.engine,
                self.worker,
                ids,
                available_at,
                None,
                utcnow(),
                uncount_attempt=True,
            )

    def _deliver(
        self, request: BuiltRequest, attempts: Mapping[int, int], totals: ForwardTotals
    ) -> bool:
        """Send one request and settle its events; False when GA should be left alone a while."""
        site = self.sites.get(request.site)
        body = request.encoded()
        body_text = body.decode("utf-8")
        if site is None:
            totals.dead += outbox.dead_letter(
                self.engine,
                self.worker,
                dict.fromkeys(request.event_ids, f"site {request.site!r} is not configured"),
                utcnow(),
            )
            return True
        kind = ENDPOINT_DRY_RUN if self.settings.dry_run else ENDPOINT_LIVE
        record = outbox.RequestRecord(
            site=site.id,
            mode=request.mode,
            measurement_id=site.ga_measurement_id,
            endpoint_kind=kind,
            outcome=OUTCOME_DRY_RUN,
            event_count=len(request.event_ids),
            body_json=body_text,
        )
        if self.settings.dry_run:
            FORWARD_ATTEMPTS.labels(OUTCOME_DRY_RUN).inc()
            totals.requests += 1
            totals.dry_run += outbox.mark_delivered(
                self.engine, self.worker, request.event_ids, utcnow(), record, dry_run=True
            )
            return True
        if not (site.ga_measurement_id and site.ga_api_secret):
            totals.dead += outbox.dead_letter(
                self.engine,
                self.worker,
                dict.fromkeys(
                    request.event_ids,
                    f"site {site.id!r} has no ga_measurement_id/ga_api_secret in the sites file",
                ),
                utcnow(),
            )
            return True
        result = self.post(site, body)
        FORWARD_ATTEMPTS.labels(attempt_label(result)).inc()
        totals.requests += 1
        record = outbox.RequestRecord(
            **{
                **record.__dict__,
                "outcome": result.outcome,
                "status_code": result.status_code,
                "response_text": result.response_text,
                "error": result.error,
                "duration_ms": result.duration_ms,
            }
        )
        now = utcnow()
        if result.outcome == OUTCOME_SENT:
            totals.sent += self._record_accepted(request.event_ids, now, record)
            return True
        if result.outcome == OUTCOME_DEAD:
            reason = f"HTTP {result.status_code}: {(result.response_text or '').strip()}"
            totals.dead += outbox.dead_letter(
                self.engine,
                self.worker,
                dict.fromkeys(request.event_ids, reason),
                now,
                record,
            )
            return True
        totals.failed_requests += 1
        delay = backoff_delay(
            max(attempts.get(i, 1) for i in request.event_ids),
            self.settings.backoff_base,
            self.settings.backoff_max,
            result.retry_after,
        )
        self._retry_at = now + timedelta(seconds=delay)
        error = result.error or f"HTTP {result.status_code}"
        log.warning("GA request failed (%s); retrying in %.1f s", error, delay)
        totals.released += outbox.release_for_retry(
            self.engine, self.worker, request.event_ids, self._retry_at, error, now, record
        )
        return False

    def _record_accepted(
        self, event_ids: list[int], now: datetime, record: outbox.RequestRecord
    ) -> int:
        """Mark events GA accepted as sent; retried while the database is away.

        Events GA has counted must not be sent again, and they would be once the
        claim expires unmarked: so the marking is retried for as long as the
        claim holds (a stop request does not cut it short).
        """
        wait = SETTLE_RETRY_FIRST
        while True:
            try:
                return outbox.mark_delivered(self.engine, self.worker, event_ids, now, record)
            except sa.exc.DBAPIError as exc:
                if time.monotonic() + wait + SETTLE_MARGIN > self._claim_deadline:
                    raise
                log.error(
                    "database error while recording %d event(s) GA accepted (%s); retrying",
                    len(event_ids),
                    type(exc).__name__,
                )
                time.sleep(wait)
                wait = min(wait * 2, SETTLE_RETRY_MAX)

    def post(self, site: Site, body: bytes, path: str = "/mp/collect") -> HttpOutcome:
        """POST one body to GA.  Errors are reduced to their kind: the exception text
        of ``requests`` holds the URL, and with it the API secret."""
        started = time.monotonic()
        try:
            response = self.http.post(
                self.settings.url(path),
                params={
                    "measurement_id": site.ga_measurement_id,
                    "api_secret": site.ga_api_secret,
                },
                data=body,
                headers={"Content-Type": "application/json"},
                timeout=self.settings.timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            return HttpOutcome(OUTCOME_RETRY, error="timeout", duration_ms=_ms(started))
        except requests.RequestException as exc:
            return HttpOutcome(
                OUTCOME_RETRY,
                error=f"connection error ({type(exc).__name__})",
                duration_ms=_ms(started),
            )
        return HttpOutcome(
            classify(response.status_code),
            status_code=response.status_code,
            response_text=response.text[:2000],
            retry_after=parse_retry_after(response.headers.get("Retry-After"), utcnow()),
            duration_ms=_ms(started),
        )

    # -- loops

    def drain(self, flush: bool = False) -> DrainResult:
        """``--once``: send everything due, wait out backoffs up to FORWARD_ONCE_DEADLINE."""
        deadline = time.monotonic() + self.settings.once_deadline
        self.close_due_windows(flush=flush)
        totals = ForwardTotals()
        gave_up = False
        while not self.stop.is_set():
            if time.monotonic() > deadline:
                gave_up = True
                break
            step = self.forward_batch()
            totals.add(step)
            if step.claimed:
                continue
            due = outbox.next_due(self.engine, utcnow())
            if due is None:
                break
            wait = max((due - utcnow()).total_seconds(), 0.01)
            if time.monotonic() + wait > deadline:
                gave_up = True
                break
            self.stop.wait(wait)
        return DrainResult(totals, outbox.pending_count(self.engine), gave_up)

    def run(self) -> ForwardTotals:
        """The long-running worker: until ``stop`` is set (SIGTERM/SIGINT in the CLI)."""
        totals = ForwardTotals()
        close_every = min(60.0, max(1.0, self.settings.aggregate_window / 4))
        last_close = -close_every
        while not self.stop.is_set():
            try:
                if time.monotonic() - last_close >= close_every:
                    self.close_due_windows()
                    last_close = time.monotonic()
                step = self.forward_batch()
                totals.add(step)
                if step.claimed:
                    continue
                due = outbox.next_due(self.engine, utcnow())
            except sa.exc.DBAPIError as exc:
                # The database went away: wait and try again, never exit on it.
                log.error("database error in the forwarder (%s); retrying", type(exc).__name__)
                self.stop.wait(min(self.settings.backoff_max, 30.0))
                continue
            wait = self.settings.poll_interval
            if due is not None:
                wait = min(wait, max((due - utcnow()).total_seconds(), 0.01))
            self.stop.wait(wait)
        return totals


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
