"""From what a page sends to what the gateway keeps: parse, anonymize, decide the mode.

Plain functions on plain data. The views hand in the body, the coarse device
and location facts and the visitor's identity (already checked); these
functions return the rows to write and the answer to give. Nothing here sees
an address or a User-Agent string.
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from gateway.analytics.intake import anonymizer as anon
from gateway.analytics.intake import sessions
from gateway.analytics.intake.aggregate import EPOCH, BucketKey, window_start
from gateway.analytics.intake.attribution import Campaign, landing_source
from gateway.analytics.intake.measurement import clean_measured
from gateway.geo import Location
from gateway.jsonbody import JSONBodyError, parse_json_body, storable_text
from gateway.sites import Site
from gateway.useragent import DeviceFacts

MAX_EVENTS = 25
MAX_GTAG_FIELDS = 200
PAGE_VIEW = "page_view"
CAMPAIGN_EVENT = "campaign_details"
# Events of consented visitors also counted (without any identifier) for the
# gateway's own traffic view: page views, and the engaged time spent on them.
TRAFFIC_EVENTS = frozenset({PAGE_VIEW, sessions.ENGAGEMENT_EVENT})

MODE_EVENT = "event"
MODE_AGGREGATE = "aggregate"
# A beacon's time budget: every rule is linear on bounded input, so only a
# starved worker reaches it; the hits left are dropped with a counted reason
# rather than held up.
BEACON_BUDGET_SECONDS = 0.2

# One encoder for every event row: json.dumps builds a new one per call when
# given options.
_encode_event = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class PayloadError(ValueError):
    """The body cannot be understood; the message says why (answered with 400)."""


@dataclass(frozen=True)
class Identity:
    """Who may be followed across events, with consent: never stored or sent as is."""

    kind: str  # consent | gtag
    value: str


@dataclass(frozen=True)
class Hit:
    name: object
    params: Mapping[str, object]
    page_url: object
    referrer: object = None
    title: object = None
    engagement_msec: int | None = None
    identity: Identity | None = None
    # What the page says of the visitor's session (sessions.session_key_*), or None.
    session: str | None = None


@dataclass(frozen=True)
class CollectPayload:
    site_id: str
    consent_token: str | None
    hits: list[Hit]
    # The tracker's session start (Unix seconds), checked against the clock later.
    session_start: object = None
    # The tracker saw navigator.webdriver: the page is driven by automation.
    webdriver: bool = False


@dataclass(frozen=True)
class GtagBatch:
    measurement_id: str
    hits: list[Hit]
    # Per hit: the raw gtag consent state (``gcs``) and client id (``cid``).
    consent_states: list[str]
    client_ids: list[str]


# --- parsing ----------------------------------------------------------------


def decode_json(body: bytes) -> Any:
    try:
        return parse_json_body(body)
    except JSONBodyError as exc:
        raise PayloadError(str(exc)) from exc


def _optional_str(value: object, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise PayloadError(f"{where} must be a string")


def parse_collect_payload(data: Any) -> CollectPayload:
    """Check the shape of a /api/v1/collect body; raise PayloadError naming the problem."""
    if not isinstance(data, dict):
        raise PayloadError("body must be a JSON object")
    site = data.get("site")
    if not isinstance(site, str) or not site:
        raise PayloadError("site is required")
    consent = _optional_str(data.get("consent"), "consent")
    page = data.get("page")
    if not isinstance(page, dict):
        raise PayloadError("page is required: {url, referrer?, title?}")
    url = page.get("url")
    if not isinstance(url, str) or not url:
        raise PayloadError("page.url is required")
    referrer = _optional_str(page.get("referrer"), "page.referrer")
    title = _optional_str(page.get("title"), "page.title")
    events = data.get("events")
    if not isinstance(events, list) or not events:
        raise PayloadError("events must be a non-empty list")
    if len(events) > MAX_EVENTS:
        raise PayloadError(f"at most {MAX_EVENTS} events per request")
    hits: list[Hit] = []
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise PayloadError(f"events[{index}] must be an object {{name, params?}}")
        params = event.get("params") or {}
        if not isinstance(params, dict):
            raise PayloadError(f"events[{index}].params must be an object")
        # Engaged time the tracker measured travels as GA's own parameter name.
        engagement = sessions.engagement_msec(params.get("engagement_time_msec"))
        hits.append(Hit(event.get("name"), params, url, referrer, title, engagement))
    return CollectPayload(
        site, consent or None, hits, data.get("session_start"), data.get("webdriver") is True
    )


def _gtag_fields(text: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_GTAG_FIELDS)
    except ValueError as exc:
        raise PayloadError("too many fields in a gtag hit") from exc
    # %00 decodes to NUL, which no database text column keeps.
    return {storable_text(key): storable_text(value) for key, value in pairs}


def _gtag_number(text: str) -> int | float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    # "inf", "nan" and "1e999" parse as floats but are no count or duration.
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() else number


def _gtag_hit(fields: Mapping[str, str]) -> Hit:
    params: dict[str, object] = {}
    for key, value in fields.items():
        if key.startswith("ep."):
            params[key[3:]] = value
        elif key.startswith("epn."):
            number = _gtag_number(value)
            if number is not None:
                params[key[4:]] = number
        # Everything else (up.* user properties, screen size, language, client
        # hints, …) describes the visitor, not the event: it is never kept.
    engagement = _gtag_number(fields.get("_et", ""))
    return Hit(
        name=fields.get("en"),
        params=params,
        page_url=fields.get("dl"),
        referrer=fields.get("dr"),
        title=fields.get("dt"),
        engagement_msec=sessions.engagement_msec(engagement),
        session=sessions.session_key_from_gtag(fields.get("sid", "")),
    )


def parse_gtag(query: str, body: str) -> GtagBatch:
    """GA4 gtag hits: shared fields in the query string, one event per body line."""
    shared = _gtag_fields(query)
    lines = [line for line in body.replace("\r\n", "\n").split("\n") if line.strip()]
    if len(lines) > MAX_EVENTS:
        raise PayloadError(f"at most {MAX_EVENTS} events per request")
    merged = [{**shared, **_gtag_fields(line)} for line in lines] or [shared]
    version = merged[0].get("v", "2")
    if version != "2":
        raise PayloadError("only GA4 hits (v=2) are accepted")
    measurement_id = merged[0].get("tid", "")
    if not measurement_id:
        raise PayloadError("tid (measurement id) is required")
    if any(fields.get("tid", measurement_id) != measurement_id for fields in merged):
        raise PayloadError("all hits of a batch must carry the same tid")
    if not any(fields.get("en") for fields in merged):
        raise PayloadError("en (event name) is required")
    return GtagBatch(
        measurement_id=measurement_id,
        hits=[_gtag_hit(fields) for fields in merged],
        consent_states=[fields.get("gcs", "") for fields in merged],
        client_ids=[fields.get("cid", "") for fields in merged],
    )


def gtag_grants_analytics(gcs: str) -> bool:
    """gtag's consent state ``G1<ad_storage><analytics_storage>``: 1 granted, 0 denied."""
    return len(gcs) >= 4 and gcs.startswith("G1") and gcs[3] == "1"


# --- the pipeline -----------------------------------------------------------


@dataclass
class Outcome:
    """What one request adds to the database, and what its answer says."""

    # Plain dicts used as counters: a Counter costs a Python-level __init__,
    # three of them per beacon.
    outbox_rows: list[dict[str, Any]] = field(default_factory=list)
    aggregates: dict[BucketKey, int] = field(default_factory=dict)
    # Engaged time (ms) per bucket, summed; only buckets whose hits reported some.
    engagement: dict[BucketKey, int] = field(default_factory=dict)
    stats: dict[tuple[str, str], int] = field(default_factory=dict)
    accepted: int = 0
    dropped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    mode: str = MODE_AGGREGATE

    def drop(self, reason: str, count: int = 1) -> None:
        self.dropped += count
        self.reasons[reason] = self.reasons.get(reason, 0) + count
        self.count(("dropped", reason), count)

    def count(self, stat: tuple[str, str], count: int = 1) -> None:
        self.stats[stat] = self.stats.get(stat, 0) + count

    def as_response(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "dropped": self.dropped,
            "mode": self.mode,
            "reasons": dict(self.reasons),
        }


@dataclass(frozen=True)
class Context:
    """Everything about the request the pipeline may know, already coarse."""

    site: Site
    device: DeviceFacts
    location: Location | None
    now: datetime
    key: bytes
    window_seconds: int
    # Why the request is not a person's visit (prefetch, hosting network,
    # tracker-reported automation), besides the User-Agent's verdict.
    drop_reason: str | None = None
    budget_seconds: float = BEACON_BUDGET_SECONDS


def user_location(location: Location | None) -> dict[str, str] | None:
    if location is None:
        return None
    result = {"country_id": location.country}
    if location.region:
        result["region_id"] = location.region
    return result


def device_info(device: DeviceFacts) -> dict[str, str]:
    info = {
        "category": device.device_category,
        "operating_system": device.os_family,
        "browser": device.browser_family,
    }
    if device.browser_major:
        info["browser_version"] = device.browser_major
    return info


# Both are coarse facts shared by many visitors (a few hundred device and
# region combinations), serialized once each rather than on every event.
@functools.lru_cache(maxsize=4096)
def user_location_json(location: Location) -> str:
    return json.dumps(user_location(location))


@functools.lru_cache(maxsize=4096)
def device_info_json(device: DeviceFacts) -> str:
    return json.dumps(device_info(device))


def timestamp_micros(moment: datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _page_params(
    page: anon.CleanUrl, hit: Hit, site: Site, referrer_parts: anon.ReferrerParts | None
) -> dict[str, object]:
    params: dict[str, object] = {"page_location": page.url}
    referrer = (
        anon.anonymize_referrer(None, (*site.origins, page.origin), referrer_parts)
        if referrer_parts is not None
        else None
    )
    if referrer:
        params["page_referrer"] = referrer
    title = anon.anonymize_title(hit.title if isinstance(hit.title, str) else None)
    if title:
        params["page_title"] = title
    return params


# The client and session ids of consent ids seen today: a visitor sends a
# beacon per page, each would cost two keyed hashes. Consent ids are the
# gateway's own, kept as proof of consent anyway; the memo forgets them when
# the day changes or when it is full. gtag's client ids are the visitor's
# cookie: hashed on every hit, never remembered.
PSEUDONYM_CACHE_SIZE = 10_000
_consent_pseudonyms: dict[tuple[bytes, str, str, str], tuple[str, str]] = {}


def pseudonyms(key: bytes, identity: Identity, session: str, day: str) -> tuple[str, str]:
    """(client_id, session_id) of ``identity`` in the session ``session`` (a session key)."""
    memo = identity.kind == "consent"
    if memo:
        found = _consent_pseudonyms.get((key, identity.value, session, day))
        if found is not None:
            return found
    result = (
        anon.client_id_from(key, identity.kind, identity.value),
        anon.session_id_from(key, identity.kind, identity.value, session),
    )
    if memo:
        # Every entry is of one day, so the first one says which.
        held_day = next(iter(_consent_pseudonyms), (b"", "", "", day))[3]
        if len(_consent_pseudonyms) >= PSEUDONYM_CACHE_SIZE or held_day != day:
            _consent_pseudonyms.clear()
        _consent_pseudonyms[(key, identity.value, session, day)] = result
    return result


def _count(outcome: Outcome, bucket: BucketKey, engagement: int | None) -> None:
    # One beacon is one visit: it counts once per bucket however many equal
    # hits it carries, so k counts visitors, not repeated events.
    outcome.aggregates[bucket] = 1
    if engagement:
        outcome.engagement[bucket] = outcome.engagement.get(bucket, 0) + engagement


def process(hits: list[Hit], ctx: Context) -> Outcome:
    """Anonymize each hit and route it to the outbox (event mode) or a count (aggregate)."""
    outcome = Outcome()
    if any(hit.identity is not None for hit in hits):
        outcome.mode = MODE_EVENT
    bot_reason = ctx.device.bot_reason or ctx.drop_reason
    if bot_reason:
        # Bots are counted as a reason and nothing else: no row, no bucket.
        outcome.drop(bot_reason, len(hits))
        return outcome
    site = ctx.site
    micros = timestamp_micros(ctx.now)
    # Serialized only for event-mode rows (aggregate hits keep none of it).
    location_json: str | None = None
    device_json = ""
    window: datetime | None = None
    day = ""  # event hits only
    country = ctx.location.country if ctx.location else ""
    # Hits of one request usually share their page and visitor: each is
    # anonymized (and each keyed hash computed) once per request.
    # Keyed by (URL, event mode): an aggregate hit keeps only the path, so
    # its query string is not even parsed.
    pages: dict[tuple[object, bool], anon.CleanUrl | None] = {}
    page_params: dict[tuple[object, object, object], dict[str, object]] = {}
    sources: dict[tuple[object, object], tuple[tuple[str, str], Campaign | None]] = {}
    # Each referrer is split once, for its source and for what GA is told of it.
    referrers: dict[object, anon.ReferrerParts | None] = {}
    ids: dict[tuple[Identity, str], tuple[str, str]] = {}
    started = time.perf_counter()
    for index, hit in enumerate(hits):
        if time.perf_counter() - started > ctx.budget_seconds:
            outcome.drop("time_budget", len(hits) - index)
            break
        name = anon.clean_event_name(hit.name)
        if name is None:
            outcome.drop("invalid_event_name")
            continue
        name = sessions.event_name(name)
        identity = hit.identity
        page_key = (hit.page_url, identity is not None)
        if page_key not in pages:
            pages[page_key] = (
                anon.anonymize_url(
                    hit.page_url, site.query_allowlist if page_key[1] else (), site.origins
                )
                if isinstance(hit.page_url, str)
                else None
            )
        page = pages[page_key]
        if page is None:
            outcome.drop("invalid_page_url")
            continue
        if page.origin not in site.origins:
            # A page of another host (or a host name carrying a number) is no
            # page of this site; its host alone could name someone.
            outcome.drop("foreign_page_host")
            continue
        outcome.accepted += 1
        if hit.referrer not in referrers:
            referrers[hit.referrer] = anon.split_referrer(hit.referrer)
        referrer_parts = referrers[hit.referrer]
        source_key = (hit.page_url, hit.referrer)
        if source_key not in sources:
            sources[source_key] = landing_source(
                hit.page_url if isinstance(hit.page_url, str) else "",
                hit.referrer if isinstance(hit.referrer, str) else None,
                site.origins,
                site.campaign_allowlist,
                # The page's host, without its port (the cleaned origin has no IPv6 host).
                page.origin.partition("://")[2].split(":", 1)[0],
                referrer_parts,
            )
        (source, medium), campaign = sources[source_key]
        if window is None:
            window = window_start(ctx.now, ctx.window_seconds)
        bucket = BucketKey(
            window,
            site.id,
            name,
            page.path,
            country,
            ctx.device.device_category,
            source,
            medium,
            identity is not None,
        )
        if identity is None:
            _count(outcome, bucket, hit.engagement_msec)
            outcome.count((MODE_AGGREGATE, ""))
            continue
        if name in TRAFFIC_EVENTS:
            # Counted for the gateway's own traffic view, never forwarded as a count.
            _count(outcome, bucket, hit.engagement_msec)
        params_key = (hit.page_url, hit.referrer, hit.title)
        if params_key not in page_params:
            page_params[params_key] = _page_params(page, hit, site, referrer_parts)
        if not device_json:
            location_json = user_location_json(ctx.location) if ctx.location else None
            device_json = device_info_json(ctx.device)
            day = ctx.now.date().isoformat()
        session = hit.session or sessions.day_session_key(day)
        if (identity, session) not in ids:
            ids[(identity, session)] = pseudonyms(ctx.key, identity, session, day)
        client_id, session_id = ids[(identity, session)]
        params: dict[str, object] = {
            **page_params[params_key],
            "session_id": session_id,
            "engagement_time_msec": sessions.forwarded_engagement(hit.engagement_msec),
        }
        # GA takes 25 parameters per event, the gateway's own included.
        cleaned = anon.clean_params(hit.params, anon.MAX_PARAMS - len(params), site.origins)
        params.update(clean_measured(cleaned.params, site.origins, cleaned.via))
        row = {
            "site": site.id,
            "mode": MODE_EVENT,
            "client_id": client_id,
            "user_location_json": location_json,
            "device_json": device_json,
            "event_json": _encode_event({"name": name, "params": params}),
            "timestamp_micros": micros,
        }
        if name == PAGE_VIEW and campaign is not None:
            # A landing from outside: GA4 attributes the session from this event.
            campaign_params = {
                **campaign.params(),
                "page_location": params["page_location"],
                "session_id": session_id,
                "engagement_time_msec": sessions.MIN_ENGAGEMENT_MSEC,
            }
            outcome.outbox_rows.append(
                {
                    **row,
                    "event_json": _encode_event(
                        {"name": CAMPAIGN_EVENT, "params": campaign_params}
                    ),
                }
            )
        outcome.outbox_rows.append(row)
        outcome.count((MODE_EVENT, ""))
    return outcome
