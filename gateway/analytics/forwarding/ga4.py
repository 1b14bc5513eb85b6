"""GA4 Measurement Protocol requests: built from outbox rows and held to GA's rules.

Pure functions only.  ``build_requests`` turns stored events into request bodies
that are valid Measurement Protocol: it repairs what can be repaired (truncates
long values, renames reserved or malformed names) and drops the rest with a
counted reason.  ``check_request`` is the strict checker (no repair) that the
local GA stand-in answers ``/debug/mp/collect`` with and the tests hold every
built body to.

Nothing built here ever carries ``ip_override``, ``user_agent``, ``user_id`` or
``user_data``: the body's top-level keys come from a fixed list, and parameters
with those names are dropped.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_EVENTS_PER_REQUEST = 25
MAX_PARAMS_PER_EVENT = 25
MAX_NAME_LENGTH = 40
MAX_VALUE_LENGTH = 100
VALUE_LENGTH_LIMITS = {"page_location": 1000, "page_referrer": 420, "page_title": 300}
# GA: "the total size of the request body must be less than 130 kB".
MAX_BODY_BYTES = 130_000
MAX_AGE_MICROS = 72 * 3600 * 1_000_000
# An event older than GA backdates is sent at the oldest time GA takes, with
# this much room for the request's way to GA (what GA's relaxed mode does too).
CLAMP_MARGIN_MICROS = 10 * 60 * 1_000_000
# ``validation_behavior`` of a request: GA's default RELAXED, or the stricter
# mode the debug endpoint answers with GA's recommendations.
RELAXED = "RELAXED"
ENFORCE_RECOMMENDATIONS = "ENFORCE_RECOMMENDATIONS"
VALIDATION_BEHAVIORS = frozenset({RELAXED, ENFORCE_RECOMMENDATIONS})

NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
CLIENT_ID_PATTERN = re.compile(r"^[0-9]{1,20}\.[0-9]{1,20}$")
COUNTRY_PATTERN = re.compile(r"^[A-Z]{2}$")
REGION_PATTERN = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
UN_M49_PATTERN = re.compile(r"^[0-9]{3}$")
VERSION_PATTERN = re.compile(r"^[0-9]{1,6}$")

RESERVED_EVENT_NAMES = frozenset(
    {
        "ad_activeview",
        "ad_click",
        "ad_exposure",
        "ad_impression",
        "ad_query",
        "ad_reward",
        "adunit_exposure",
        "app_clear_data",
        "app_exception",
        "app_install",
        "app_remove",
        "app_store_refund",
        "app_update",
        "app_upgrade",
        "dynamic_link_app_open",
        "dynamic_link_app_update",
        "dynamic_link_first_open",
        "error",
        "firebase_campaign",
        "firebase_in_app_message_action",
        "firebase_in_app_message_dismiss",
        "firebase_in_app_message_impression",
        "first_open",
        "first_visit",
        "in_app_purchase",
        "notification_dismiss",
        "notification_foreground",
        "notification_open",
        "notification_receive",
        "notification_send",
        "os_update",
        "screen_view",
        "session_start",
        "user_engagement",
    }
)
# GA derives these itself from session_id and engagement time; a renamed copy
# would only be noise, so they are dropped rather than renamed.
DERIVED_EVENT_NAMES = frozenset({"session_start", "first_visit", "first_open"})
# gtag's user_engagement carries engaged time GA counts: it goes under a
# permitted name (the intake renames it already; this catches older rows).
RENAMED_EVENT_NAMES = {"user_engagement": "page_engagement"}
RESERVED_PREFIXES = ("ga_", "google_", "firebase_", "_")
RENAME_PREFIX = "hot_"

# Identifying fields the Measurement Protocol accepts and the gateway never sends.
FORBIDDEN_FIELDS = frozenset({"ip_override", "user_agent", "user_id", "user_data"})
TOP_LEVEL_FIELDS = frozenset(
    {
        "client_id",
        "timestamp_micros",
        "consent",
        "user_location",
        "device",
        "events",
        "validation_behavior",
    }
)
LOCATION_FIELDS = frozenset({"country_id", "region_id", "subcontinent_id", "continent_id"})
DEVICE_FIELDS = frozenset({"category", "operating_system", "browser", "browser_version"})
DEVICE_CATEGORIES = frozenset({"desktop", "mobile", "tablet", "smart TV"})
# Ad signals are always denied: the gateway forwards statistics, never ad data.
CONSENT = {"ad_user_data": "DENIED", "ad_personalization": "DENIED"}
CONSENT_VALUES = frozenset({"GRANTED", "DENIED"})
# Kept first when an event has more parameters than GA accepts.
PRIORITY_PARAMS = (
    "aggregated_count",
    "session_id",
    "engagement_time_msec",
    "page_location",
    "page_path",
    "page_referrer",
    "page_title",
)


# ---------------------------------------------------------------- repair rules


def value_limit(param: str) -> int:
    return VALUE_LENGTH_LIMITS.get(param, MAX_VALUE_LENGTH)


def repair_name(name: Any, reasons: Counter[str], kind: str) -> str | None:
    """A valid GA name for ``name``, or None (reason counted) when it has none.

    Characters GA refuses become ``_``; a name not starting with a letter, or
    starting with a reserved prefix, gets ``hot_`` in front; then it is cut to
    40 characters.
    """
    if not isinstance(name, str) or not name.strip():
        reasons[f"{kind}_name_missing"] += 1
        return None
    fixed = re.sub(r"[^A-Za-z0-9_]", "_", name.strip())
    if not re.search(r"[A-Za-z0-9]", fixed):
        # Nothing GA can read is left (e.g. a name written in Cyrillic only).
        reasons[f"{kind}_name_unusable"] += 1
        return None
    if fixed != name:
        reasons[f"{kind}_name_characters_replaced"] += 1
    if fixed.lower().startswith(RESERVED_PREFIXES) or not fixed[0].isalpha():
        reasons[f"{kind}_name_reserved_prefix_renamed"] += 1
        fixed = RENAME_PREFIX + fixed
    if len(fixed) > MAX_NAME_LENGTH:
        reasons[f"{kind}_name_truncated"] += 1
        fixed = fixed[:MAX_NAME_LENGTH]
    return fixed


def repair_event_name(name: Any, reasons: Counter[str]) -> str | None:
    """Event names: the generic repair, and GA's reserved event names renamed or dropped."""
    if isinstance(name, str) and name in DERIVED_EVENT_NAMES:
        reasons["event_name_reserved_dropped"] += 1
        return None
    if isinstance(name, str) and name in RENAMED_EVENT_NAMES:
        reasons["event_name_engagement_renamed"] += 1
        return RENAMED_EVENT_NAMES[name]
    fixed = repair_name(name, reasons, "event")
    if fixed is not None and fixed in RESERVED_EVENT_NAMES:
        reasons["event_name_reserved_renamed"] += 1
        fixed = RENAME_PREFIX + fixed
    return fixed


def repair_value(param: str, value: Any, reasons: Counter[str]) -> str | int | float | None:
    """A value GA accepts (string within the length limit, or a finite number)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        reasons["param_value_not_finite"] += 1
        return None
    if isinstance(value, str):
        limit = value_limit(param)
        if len(value) > limit:
            reasons["param_value_truncated"] += 1
            return value[:limit]
        return value
    reasons["param_value_type"] += 1
    return None


def repair_params(params: Any, reasons: Counter[str]) -> dict[str, Any]:
    """At most 25 parameters with valid names and values; forbidden names never pass."""
    if not isinstance(params, Mapping):
        if params is not None:
            reasons["params_not_an_object"] += 1
        return {}
    repaired: dict[str, Any] = {}
    for raw_name, raw_value in params.items():
        if isinstance(raw_name, str) and raw_name.lower() in FORBIDDEN_FIELDS:
            reasons["param_forbidden"] += 1
            continue
        name = repair_name(raw_name, reasons, "param")
        if name is None:
            continue
        if name.lower() in FORBIDDEN_FIELDS:
            reasons["param_forbidden"] += 1
            continue
        if name in repaired:
            reasons["param_name_duplicate"] += 1
            continue
        value = repair_value(name, raw_value, reasons)
        if value is not None:
            repaired[name] = value
    if len(repaired) > MAX_PARAMS_PER_EVENT:
        first = [p for p in PRIORITY_PARAMS if p in repaired]
        rest = [p for p in repaired if p not in first]
        keep = (first + rest)[:MAX_PARAMS_PER_EVENT]
        reasons["param_over_limit_dropped"] += len(repaired) - len(keep)
        repaired = {p: repaired[p] for p in keep}
    return repaired


def repair_timestamp(timestamp_micros: Any, now_micros: int, reasons: Counter[str]) -> int | None:
    """GA backdates events by at most 72 hours; future times are brought back to now.

    An older event (an outbox that waited out a long GA outage) is not lost: as
    GA's relaxed validation does, it is sent at the oldest time GA still takes,
    and counted (``timestamp_too_old_clamped``).
    """
    if isinstance(timestamp_micros, bool) or not isinstance(timestamp_micros, int):
        reasons["timestamp_invalid"] += 1
        return None
    if timestamp_micros > now_micros:
        reasons["timestamp_future_clamped"] += 1
        return now_micros
    oldest = now_micros - MAX_AGE_MICROS + CLAMP_MARGIN_MICROS
    if timestamp_micros < oldest:
        reasons["timestamp_too_old_clamped"] += 1
        return oldest
    return timestamp_micros


def repair_session_fields(event: dict[str, Any], session_id: str | None) -> None:
    """Every event carries ``session_id`` and ``engagement_time_msec`` > 0 (GA's
    Realtime and engagement reports need both); aggregate events get ``session_id``."""
    params = event.setdefault("params", {})
    if session_id is not None:
        params["session_id"] = session_id
    engagement = params.get("engagement_time_msec")
    if isinstance(engagement, bool) or not isinstance(engagement, (int, float)) or engagement < 1:
        params["engagement_time_msec"] = 1
    while len(params) > MAX_PARAMS_PER_EVENT:
        params.pop(next(p for p in reversed(params) if p not in PRIORITY_PARAMS))


def repair_user_location(location: Any, reasons: Counter[str]) -> dict[str, str] | None:
    """Country and region codes only, in the formats GA expects; anything else is left out."""
    if not isinstance(location, Mapping):
        return None
    patterns = {
        "country_id": COUNTRY_PATTERN,
        "region_id": REGION_PATTERN,
        "subcontinent_id": UN_M49_PATTERN,
        "continent_id": UN_M49_PATTERN,
    }
    kept: dict[str, str] = {}
    for key, value in location.items():
        pattern = patterns.get(key)
        if pattern is None or not isinstance(value, str) or not pattern.match(value):
            if value not in (None, ""):
                reasons["user_location_field_dropped"] += 1
            continue
        kept[key] = value
    return kept or None


def repair_device(device: Any, reasons: Counter[str]) -> dict[str, str] | None:
    """Coarse device facts only: category, OS family, browser family and major version."""
    if not isinstance(device, Mapping):
        return None
    kept: dict[str, str] = {}
    for key, value in device.items():
        if key not in DEVICE_FIELDS or not isinstance(value, str) or not value.strip():
            if value not in (None, ""):
                reasons["device_field_dropped"] += 1
            continue
        if key == "category" and value not in DEVICE_CATEGORIES:
            reasons["device_field_dropped"] += 1
            continue
        if key == "browser_version":
            major = value.split(".", 1)[0]
            if not VERSION_PATTERN.match(major):
                reasons["device_field_dropped"] += 1
                continue
            value = major
        kept[key] = value[:MAX_VALUE_LENGTH]
    return kept or None


# ---------------------------------------------------------------- building


@dataclass(frozen=True)
class OutboxItem:
    """What the forwarder reads from one outbox row."""

    id: int
    site: str
    mode: str  # event | aggregate
    client_id: str | None
    user_location: Mapping[str, Any] | None
    device: Mapping[str, Any] | None
    event: Mapping[str, Any]
    timestamp_micros: int


@dataclass
class BuiltRequest:
    site: str
    mode: str
    body: dict[str, Any]
    event_ids: list[int]
    # The last request of its group: the only one that may hold fewer than 25 events.
    last_of_group: bool = False

    def encoded(self) -> bytes:
        return encode_body(self.body)


@dataclass
class BuildResult:
    requests: list[BuiltRequest] = field(default_factory=list)
    # Events that cannot be sent: id → reason (they are dead-lettered).
    dropped: dict[int, str] = field(default_factory=dict)
    # Every repair and drop, counted by reason.
    reasons: Counter[str] = field(default_factory=Counter)


def encode_body(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def repair_event(
    item: OutboxItem, now_micros: int, reasons: Counter[str]
) -> tuple[dict[str, Any] | None, str | None]:
    """The event as GA will receive it, or (None, reason) when it cannot be sent."""
    local: Counter[str] = Counter()
    name = repair_event_name(item.event.get("name"), local)
    timestamp = repair_timestamp(item.timestamp_micros, now_micros, local)
    params = repair_params(item.event.get("params"), local)
    reasons.update(local)
    if name is None:
        return None, _first_reason(local, "event_name")
    if timestamp is None:
        return None, _first_reason(local, "timestamp")
    event: dict[str, Any] = {"name": name, "timestamp_micros": timestamp}
    if params:
        event["params"] = params
    return event, None


def _first_reason(reasons: Counter[str], prefix: str) -> str:
    return next((r for r in reasons if r.startswith(prefix)), prefix + "_invalid")


def _group_key(item: OutboxItem) -> tuple[str, str, str, str, str]:
    if item.mode == "aggregate":
        return (item.site, item.mode, "", "", "")
    return (
        item.site,
        item.mode,
        item.client_id or "",
        json.dumps(item.user_location, sort_keys=True),
        json.dumps(item.device, sort_keys=True),
    )


def synthetic_session_id() -> str:
    """A GA-shaped session id (10 digits, never 0) that nothing else shares."""
    return str(1_000_000_000 + secrets.randbelow(9_000_000_000))


def build_requests(
    items: Iterable[OutboxItem],
    now_micros: int,
    new_client_id: Callable[[], str],
    new_session_id: Callable[[], str] = synthetic_session_id,
) -> BuildResult:
    """Group events into valid Measurement Protocol bodies of at most 25 events.

    Events share a request when site, mode, client id, location and device are
    the same.  Aggregate requests get ``new_client_id()`` and ``new_session_id()``
    each (random per request, so nothing links two requests) and carry no
    location or device: country and device category travel as event parameters.
    """
    result = BuildResult()
    groups: dict[tuple[str, str, str, str, str], list[tuple[int, dict[str, Any]]]] = {}
    headers: dict[tuple[str, str, str, str, str], OutboxItem] = {}
    for item in items:
        if item.mode == "event" and not (
            item.client_id and CLIENT_ID_PATTERN.match(item.client_id)
        ):
            result.dropped[item.id] = "client_id_invalid"
            result.reasons["client_id_invalid"] += 1
            continue
        if item.mode not in ("event", "aggregate"):
            result.dropped[item.id] = "mode_unknown"
            result.reasons["mode_unknown"] += 1
            continue
        event, reason = repair_event(item, now_micros, result.reasons)
        if event is None:
            result.dropped[item.id] = reason or "event_invalid"
            continue
        key = _group_key(item)
        groups.setdefault(key, []).append((item.id, event))
        headers.setdefault(key, item)
    for key, events in groups.items():
        first = headers[key]
        for chunk in _chunks(events, first, result, new_client_id, new_session_id):
            result.requests.append(chunk)
    return result


def _envelope(first: OutboxItem, reasons: Counter[str]) -> dict[str, Any]:
    """What every request of a group shares, besides its client id and events."""
    body: dict[str, Any] = {"consent": dict(CONSENT)}
    if first.mode == "event":
        location = repair_user_location(first.user_location, reasons)
        device = repair_device(first.device, reasons)
        if location:
            body["user_location"] = location
        if device:
            body["device"] = device
    return body


def _chunks(
    events: list[tuple[int, dict[str, Any]]],
    first: OutboxItem,
    result: BuildResult,
    new_client_id: Callable[[], str],
    new_session_id: Callable[[], str],
) -> Iterable[BuiltRequest]:
    """Requests of ≤ 25 events whose encoded body stays under 130 kB."""
    envelope = _envelope(first, result.reasons)
    # Size probes use a client id as long as any real one could be.
    probe_id = "9" * 20 + "." + "9" * 20

    def body_for(batch: list[tuple[int, dict[str, Any]]], client_id: str) -> dict[str, Any]:
        return {
            "client_id": client_id,
            **envelope,
            "timestamp_micros": min(e["timestamp_micros"] for _, e in batch),
            "events": [e for _, e in batch],
        }

    def fits(batch: list[tuple[int, dict[str, Any]]]) -> bool:
        # Each event may still gain a session id and an engagement time (30 bytes each).
        room = 64 * len(batch)
        return len(encode_body(body_for(batch, probe_id))) + room < MAX_BODY_BYTES

    def make(batch: list[tuple[int, dict[str, Any]]]) -> BuiltRequest:
        client_id = first.client_id if first.mode == "event" and first.client_id else None
        # One synthetic session per aggregate request, like its synthetic client.
        session_id = new_session_id() if client_id is None else None
        for _, event in batch:
            repair_session_fields(event, session_id)
        body = body_for(batch, client_id or new_client_id())
        return BuiltRequest(first.site, first.mode, body, [i for i, _ in batch])

    pending: list[tuple[int, dict[str, Any]]] = []
    for event_id, event in events:
        if not fits([(event_id, event)]):
            result.dropped[event_id] = "event_too_large"
            result.reasons["event_too_large"] += 1
            continue
        candidate = [*pending, (event_id, event)]
        if len(candidate) > MAX_EVENTS_PER_REQUEST or not fits(candidate):
            yield make(pending)
            candidate = [(event_id, event)]
        pending = candidate
    if pending:
        last = make(pending)
        last.last_of_group = True
        yield last


# ---------------------------------------------------------------- strict checking


def _message(path: str, description: str, code: str) -> dict[str, str]:
    return {"fieldPath": path, "description": description, "validationCode": code}


def _check_name(name: Any, path: str, kind: str) -> list[dict[str, str]]:
    if not isinstance(name, str) or not name:
        return [_message(path, f"{kind} name is required", "VALUE_REQUIRED")]
    out = []
    if len(name) > MAX_NAME_LENGTH:
        out.append(
            _message(path, f"{kind} name {name!r} is longer than 40 chars", "VALUE_OUT_OF_BOUNDS")
        )
    if not NAME_PATTERN.match(name):
        out.append(
            _message(
                path,
                f"{kind} name {name!r} must start with a letter and use letters, digits, _",
                "NAME_INVALID",
            )
        )
    if name.lower().startswith(RESERVED_PREFIXES):
        out.append(_message(path, f"{kind} name {name!r} uses a reserved prefix", "NAME_RESERVED"))
    return out


def check_request(
    body: Any, now_micros: int, body_size: int | None = None, behavior: str | None = None
) -> list[dict[str, str]]:
    """Every Measurement Protocol rule the gateway follows, as GA-style validation messages.

    An empty list means the body is valid.  Used by the GA stand-in's debug
    endpoint and by the tests on every body the forwarder builds.  The body's
    ``validation_behavior`` (or ``behavior``) chooses GA's modes: RELAXED, the
    default, or ENFORCE_RECOMMENDATIONS, which also asks for every event's
    ``session_id`` and ``engagement_time_msec`` and refuses timestamps over 72 hours.
    """
    if body_size is not None and body_size >= MAX_BODY_BYTES:
        return [_message("", f"body is {body_size} bytes; limit 130 kB", "VALUE_OUT_OF_BOUNDS")]
    if not isinstance(body, Mapping):
        return [_message("", "body must be a JSON object", "VALUE_INVALID")]
    out: list[dict[str, str]] = []
    for key in body:
        if key in FORBIDDEN_FIELDS:
            out.append(_message(key, f"{key} is never sent by the gateway", "NAME_RESERVED"))
        elif key not in TOP_LEVEL_FIELDS:
            out.append(_message(key, f"unknown field {key!r}", "NAME_INVALID"))
    behavior = behavior or body.get("validation_behavior", RELAXED)
    if behavior not in VALIDATION_BEHAVIORS:
        out.append(
            _message(
                "validation_behavior",
                "validation_behavior is RELAXED or ENFORCE_RECOMMENDATIONS",
                "VALUE_INVALID",
            )
        )
    strict = behavior == ENFORCE_RECOMMENDATIONS
    client_id = body.get("client_id")
    if not isinstance(client_id, str) or not CLIENT_ID_PATTERN.match(client_id):
        out.append(_message("client_id", "client_id must look like 123.456", "VALUE_INVALID"))
    elif set(client_id.replace(".", "")) == {"0"}:
        out.append(_message("client_id", "client_id must not be 0", "VALUE_INVALID"))
    out += _check_timestamp(body.get("timestamp_micros"), "timestamp_micros", now_micros, strict)
    out += _check_consent(body.get("consent"))
    out += _check_location(body.get("user_location"))
    out += _check_device(body.get("device"))
    events = body.get("events")
    if not isinstance(events, list) or not events:
        out.append(_message("events", "events must be a non-empty list", "VALUE_REQUIRED"))
        return out
    if len(events) > MAX_EVENTS_PER_REQUEST:
        out.append(_message("events", f"{len(events)} events; at most 25", "EXCEEDED_MAX_ENTITIES"))
    for index, event in enumerate(events):
        out += _check_event(event, f"events[{index}]", now_micros, strict)
    return out


def _check_event(
    event: Any, path: str, now_micros: int, strict: bool = False
) -> list[dict[str, str]]:
    if not isinstance(event, Mapping):
        return [_message(path, "event must be an object", "VALUE_INVALID")]
    name = event.get("name")
    out = _check_name(name, f"{path}.name", "event")
    if isinstance(name, str) and name in RESERVED_EVENT_NAMES:
        out.append(_message(f"{path}.name", f"event name {name!r} is reserved", "NAME_RESERVED"))
    out += _check_timestamp(
        event.get("timestamp_micros"), f"{path}.timestamp_micros", now_micros, strict
    )
    params = event.get("params", {})
    if not isinstance(params, Mapping):
        return [*out, _message(f"{path}.params", "params must be an object", "VALUE_INVALID")]
    if strict:
        out += _check_recommended(params, path)
    if len(params) > MAX_PARAMS_PER_EVENT:
        out.append(
            _message(f"{path}.params", f"{len(params)} params; at most 25", "EXCEEDED_MAX_ENTITIES")
        )
    for param, value in params.items():
        ppath = f"{path}.params.{param}"
        out += _check_name(param, ppath, "param")
        if isinstance(param, str) and param.lower() in FORBIDDEN_FIELDS:
            out.append(_message(ppath, f"{param} is never sent by the gateway", "NAME_RESERVED"))
        if isinstance(value, str):
            if len(value) > value_limit(str(param)):
                out.append(
                    _message(
                        ppath,
                        f"value is {len(value)} chars; limit {value_limit(str(param))}",
                        "VALUE_OUT_OF_BOUNDS",
                    )
                )
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            out.append(_message(ppath, "value must be a string or a number", "VALUE_INVALID"))
    return out


def _check_recommended(params: Mapping[str, Any], path: str) -> list[dict[str, str]]:
    """What GA needs to put an event in its sessions, Realtime and engagement reports."""
    out = []
    session_id = params.get("session_id")
    if not isinstance(session_id, (str, int)) or not str(session_id).isdigit():
        out.append(
            _message(
                f"{path}.params.session_id",
                "session_id is recommended: without it the event joins no session",
                "VALUE_REQUIRED",
            )
        )
    engagement = params.get("engagement_time_msec")
    if isinstance(engagement, bool) or not isinstance(engagement, (int, float)) or engagement <= 0:
        out.append(
            _message(
                f"{path}.params.engagement_time_msec",
                "engagement_time_msec > 0 is recommended: without it the event is missing "
                "from Realtime and engagement reports",
                "VALUE_REQUIRED",
            )
        )
    return out


def _check_timestamp(
    value: Any, path: str, now_micros: int, strict: bool = False
) -> list[dict[str, str]]:
    """Within the last 72 hours and not ahead; an older one is an error only when strict
    (RELAXED, GA's default, accepts it and moves it to the oldest time it takes)."""
    if value is None:
        return []
    if isinstance(value, bool) or not isinstance(value, int):
        return [_message(path, "timestamp_micros must be an integer", "VALUE_INVALID")]
    if value > now_micros + 60_000_000:
        return [_message(path, "timestamp must not be in the future", "VALUE_OUT_OF_BOUNDS")]
    if now_micros - value >= MAX_AGE_MICROS and strict:
        return [_message(path, "timestamp must be within the last 72 hours", "VALUE_OUT_OF_BOUNDS")]
    return []


def _check_consent(consent: Any) -> list[dict[str, str]]:
    if consent is None:
        return []
    if not isinstance(consent, Mapping):
        return [_message("consent", "consent must be an object", "VALUE_INVALID")]
    return [
        _message(f"consent.{k}", "expected GRANTED or DENIED", "VALUE_INVALID")
        for k, v in consent.items()
        if k not in ("ad_user_data", "ad_personalization") or v not in CONSENT_VALUES
    ]


def _check_location(location: Any) -> list[dict[str, str]]:
    if location is None:
        return []
    if not isinstance(location, Mapping):
        return [_message("user_location", "user_location must be an object", "VALUE_INVALID")]
    reasons: Counter[str] = Counter()
    repaired = repair_user_location(location, reasons)
    if reasons or repaired != dict(location):
        return [
            _message(
                "user_location",
                "user_location takes ISO 3166-1 country_id, ISO 3166-2 region_id and "
                "UN M49 continent/subcontinent ids only",
                "VALUE_INVALID",
            )
        ]
    return []


def _check_device(device: Any) -> list[dict[str, str]]:
    if device is None:
        return []
    if not isinstance(device, Mapping):
        return [_message("device", "device must be an object", "VALUE_INVALID")]
    reasons: Counter[str] = Counter()
    repaired = repair_device(device, reasons)
    if reasons or repaired != dict(device):
        return [
            _message(
                "device",
                "device takes category (desktop, mobile, tablet, smart TV), operating_system, "
                "browser and a major browser_version only",
                "VALUE_INVALID",
            )
        ]
    return []


def forbidden_fields_in(value: Any) -> list[str]:
    """Every key anywhere in ``value`` that names an identifying field (for audits and tests)."""
    found: list[str] = []
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if isinstance(key, str) and key.lower() in FORBIDDEN_FIELDS:
                found.append(key)
            found += forbidden_fields_in(inner)
    elif isinstance(value, list):
        for inner in value:
            found += forbidden_fields_in(inner)
    return found
