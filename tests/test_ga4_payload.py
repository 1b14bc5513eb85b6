"""GA4 payload building and validation: every Measurement Protocol rule, one test each.

Each test uses data that would reach Google invalid (or identifying) if its
rule were missing, and every built body is held to the strict checker.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.analytics.forwarding import ga4
from gateway.analytics.forwarding.ga4 import (
    ENFORCE_RECOMMENDATIONS,
    MAX_BODY_BYTES,
    RESERVED_EVENT_NAMES,
    BuildResult,
    OutboxItem,
    build_requests,
    check_request,
    forbidden_fields_in,
)

NOW = int(time.time() * 1_000_000)
# What every event gains when it carries no measured engaged time: GA's 1 ms minimum.
ENGAGED = {"engagement_time_msec": 1}
_ids = itertools.count(1)
_client_ids = itertools.count(1)


def synthetic() -> str:
    return f"{next(_client_ids)}.1"


def item(
    name: Any = "page_view",
    params: Any = None,
    *,
    mode: str = "event",
    client_id: str | None = "1111.2222",
    location: Any = None,
    device: Any = None,
    timestamp: int | None = None,
    site: str = "hottelecom",
) -> OutboxItem:
    return OutboxItem(
        id=next(_ids),
        site=site,
        mode=mode,
        client_id=client_id if mode == "event" else None,
        user_location=location,
        device=device,
        event={"name": name, "params": params if params is not None else {}},
        timestamp_micros=NOW - 1_000_000 if timestamp is None else timestamp,
    )


def build(*items: OutboxItem) -> BuildResult:
    result = build_requests(list(items), NOW, synthetic)
    for request in result.requests:
        body = request.encoded()
        assert check_request(request.body, NOW, len(body)) == [], request.body
        assert forbidden_fields_in(request.body) == []
    return result


def only_event(result: BuildResult) -> dict[str, Any]:
    assert len(result.requests) == 1
    events = result.requests[0].body["events"]
    assert len(events) == 1
    return events[0]  # type: ignore[no-any-return]


def codes(body: Any) -> set[str]:
    return {m["validationCode"] for m in check_request(body, NOW)}


def valid_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client_id": "1.2",
        "events": [{"name": "page_view", "params": {"page_location": "https://x.example/"}}],
    }
    body.update(changes)
    return body


# ---------------------------------------------------------------- names


def test_event_name_with_invalid_characters_is_repaired() -> None:
    event = only_event(build(item("tariff-click.now")))
    assert event["name"] == "tariff_click_now"
    assert "NAME_INVALID" in codes(valid_body(events=[{"name": "tariff-click.now"}]))


def test_event_name_must_start_with_a_letter() -> None:
    event = only_event(build(item("1st_click")))
    assert event["name"] == "hot_1st_click"
    assert "NAME_INVALID" in codes(valid_body(events=[{"name": "1st_click"}]))


def test_event_name_is_cut_to_40_characters() -> None:
    event = only_event(build(item("a" * 41)))
    assert event["name"] == "a" * 40
    assert "VALUE_OUT_OF_BOUNDS" in codes(valid_body(events=[{"name": "a" * 41}]))
    assert codes(valid_body(events=[{"name": "a" * 40}])) == set()


@pytest.mark.parametrize("name", sorted(RESERVED_EVENT_NAMES))
def test_reserved_event_names_are_never_sent(name: str) -> None:
    result = build(item(name))
    sent = [e["name"] for r in result.requests for e in r.body["events"]]
    assert name not in sent
    if name == "user_engagement":
        # Its engaged time counts in GA: forwarded under a permitted name.
        assert sent == ["page_engagement"]
    elif sent:
        assert sent == [f"hot_{name}"]
    else:
        assert result.dropped
    assert "NAME_RESERVED" in codes(valid_body(events=[{"name": name}]))


def test_derived_event_names_are_dropped_with_a_reason() -> None:
    result = build(item("session_start"), item("first_visit"))
    assert result.requests == []
    assert set(result.dropped.values()) == {"event_name_reserved_dropped"}
    assert result.reasons["event_name_reserved_dropped"] == 2


def test_user_engagement_reaches_ga_with_its_engaged_time_never_dead_lettered() -> None:
    engaged = item("user_engagement", {"engagement_time_msec": 8200, "session_id": "1234567890"})
    result = build(engaged)
    assert result.dropped == {}
    event = only_event(result)
    assert event["name"] == "page_engagement"
    assert event["params"]["engagement_time_msec"] == 8200
    assert result.reasons["event_name_engagement_renamed"] == 1
    assert check_request(result.requests[0].body, NOW, behavior=ENFORCE_RECOMMENDATIONS) == []


@pytest.mark.parametrize("prefix", ["ga_", "google_", "firebase_", "_", "GA_"])
def test_reserved_prefixes_are_renamed_for_events_and_params(prefix: str) -> None:
    event = only_event(build(item(f"{prefix}thing", {f"{prefix}param": "v"})))
    assert not event["name"].lower().startswith(ga4.RESERVED_PREFIXES)
    assert all(not p.lower().startswith(ga4.RESERVED_PREFIXES) for p in event["params"])
    assert event["params"][f"hot_{prefix}param"] == "v"
    assert "NAME_RESERVED" in codes(valid_body(events=[{"name": f"{prefix}thing"}]))
    assert "NAME_RESERVED" in codes(
        valid_body(events=[{"name": "page_view", "params": {f"{prefix}param": "v"}}])
    )


def test_param_names_are_repaired_and_cut() -> None:
    event = only_event(build(item("click", {"button id": "a", "b" * 45: "c"})))
    assert event["params"] == ENGAGED | {"button_id": "a", "b" * 40: "c"}
    assert "NAME_INVALID" in codes(
        valid_body(events=[{"name": "click", "params": {"button id": "a"}}])
    )


def test_params_that_collide_after_repair_keep_the_first() -> None:
    result = build(item("click", {"a-b": "first", "a_b": "second"}))
    assert only_event(result)["params"] == ENGAGED | {"a_b": "first"}
    assert result.reasons["param_name_duplicate"] == 1


# ---------------------------------------------------------------- counts


def test_at_most_25_events_per_request() -> None:
    result = build(*[item("click", {"n": i}) for i in range(60)])
    assert [len(r.body["events"]) for r in result.requests] == [25, 25, 10]
    numbers = [e["params"]["n"] for r in result.requests for e in r.body["events"]]
    assert sorted(numbers) == list(range(60))
    assert "EXCEEDED_MAX_ENTITIES" in codes(valid_body(events=[{"name": "click"}] * 26))


def test_at_most_25_params_per_event_keeping_the_ones_reports_need() -> None:
    params: dict[str, Any] = {f"p{i:02d}": i for i in range(40)}
    params.update({"session_id": "1", "engagement_time_msec": 1, "page_location": "https://x/"})
    result = build(item("click", params))
    kept = only_event(result)["params"]
    assert len(kept) == 25
    assert {"session_id", "engagement_time_msec", "page_location"} <= set(kept)
    assert result.reasons["param_over_limit_dropped"] == 18
    too_many = {f"p{i}": i for i in range(26)}
    assert "EXCEEDED_MAX_ENTITIES" in codes(
        valid_body(events=[{"name": "click", "params": too_many}])
    )


# ---------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("param", "limit"),
    [("button", 100), ("page_location", 1000), ("page_referrer", 420), ("page_title", 300)],
)
def test_values_are_cut_to_their_limit(param: str, limit: int) -> None:
    at_limit = only_event(build(item("click", {param: "x" * limit})))["params"][param]
    assert len(at_limit) == limit
    over = only_event(build(item("click", {param: "y" * (limit + 50)})))["params"][param]
    assert over == "y" * limit
    assert "VALUE_OUT_OF_BOUNDS" in codes(
        valid_body(events=[{"name": "click", "params": {param: "z" * (limit + 1)}}])
    )


def test_values_that_are_not_strings_or_numbers_are_dropped() -> None:
    result = build(item("click", {"obj": {"a": 1}, "lst": [1], "none": None, "ok": 3.5}))
    assert only_event(result)["params"] == ENGAGED | {"ok": 3.5}
    assert result.reasons["param_value_type"] == 3


def test_boolean_values_become_numbers() -> None:
    assert only_event(build(item("click", {"flag": True})))["params"] == ENGAGED | {"flag": 1}


# ---------------------------------------------------------------- time and size


def test_events_older_than_72_hours_are_clamped_and_counted_not_lost() -> None:
    session = {"session_id": "1234567890"}
    old = item("click", session, timestamp=NOW - 80 * 3600 * 1_000_000)
    recent = item("click", session, timestamp=NOW - 71 * 3600 * 1_000_000)
    result = build(old, recent)
    assert result.dropped == {}
    assert result.reasons["timestamp_too_old_clamped"] == 1
    oldest = NOW - ga4.MAX_AGE_MICROS + ga4.CLAMP_MARGIN_MICROS
    assert [e["timestamp_micros"] for e in result.requests[0].body["events"]] == [
        oldest,
        recent.timestamp_micros,
    ]
    # What was built is within GA's window even when GA enforces its recommendations.
    assert check_request(result.requests[0].body, NOW, behavior=ENFORCE_RECOMMENDATIONS) == []


def test_the_validator_tells_relaxed_from_enforced_timestamps() -> None:
    stale = NOW - 73 * 3600 * 1_000_000
    body = valid_body(events=[{"name": "click", "timestamp_micros": stale}])
    assert "VALUE_OUT_OF_BOUNDS" not in codes(body)  # RELAXED: GA clamps it
    strict = {**body, "validation_behavior": "ENFORCE_RECOMMENDATIONS"}
    assert "VALUE_OUT_OF_BOUNDS" in codes(strict)
    assert "VALUE_INVALID" in codes({**body, "validation_behavior": "LENIENT"})
    top_level = valid_body(timestamp_micros=stale, validation_behavior="ENFORCE_RECOMMENDATIONS")
    assert "VALUE_OUT_OF_BOUNDS" in codes(top_level)


def test_future_timestamps_are_brought_back_to_now() -> None:
    event = only_event(build(item("click", timestamp=NOW + 3600 * 1_000_000)))
    assert event["timestamp_micros"] == NOW


def test_bodies_stay_under_130_kb() -> None:
    # Cyrillic is two bytes a character: 25 events at every length limit
    # would make a body far over 130 kB in one request.
    params = {f"p{i:02d}_{'я' * 30}"[:40]: "я" * 100 for i in range(22)}
    params.update({"page_location": "я" * 1000, "page_title": "я" * 300})
    result = build(*[item("click", dict(params)) for _ in range(25)])
    assert len(result.requests) >= 2
    assert sum(len(r.body["events"]) for r in result.requests) == 25
    assert all(len(r.encoded()) < MAX_BODY_BYTES for r in result.requests)
    assert "VALUE_OUT_OF_BOUNDS" in {
        m["validationCode"] for m in check_request(valid_body(), NOW, MAX_BODY_BYTES)
    }


# ---------------------------------------------------------------- location, device, identity


def test_user_location_keeps_iso_codes_only() -> None:
    result = build(
        item(
            location={"country_id": "RU", "region_id": "RU-MOW", "city": "Moscow"},
        ),
        item(client_id="9.9", location={"country_id": "Russia", "region_id": "Moscow"}),
    )
    bodies = {r.body["client_id"]: r.body for r in result.requests}
    assert bodies["1111.2222"]["user_location"] == {"country_id": "RU", "region_id": "RU-MOW"}
    assert "user_location" not in bodies["9.9"]
    assert result.reasons["user_location_field_dropped"] == 3
    assert "VALUE_INVALID" in codes(valid_body(user_location={"city": "Moscow"}))


def test_device_keeps_coarse_facts_only() -> None:
    device = {
        "category": "desktop",
        "operating_system": "Windows",
        "browser": "Chrome",
        "browser_version": "120.0.6099.71",
        "model": "SM-G991B",
        "screen_resolution": "1920x1080",
    }
    result = build(item(device=device), item(client_id="5.5", device={"category": "phone"}))
    bodies = {r.body["client_id"]: r.body for r in result.requests}
    assert bodies["1111.2222"]["device"] == {
        "category": "desktop",
        "operating_system": "Windows",
        "browser": "Chrome",
        "browser_version": "120",
    }
    assert "device" not in bodies["5.5"]
    assert "VALUE_INVALID" in codes(valid_body(device={"category": "desktop", "model": "X"}))


@pytest.mark.parametrize("field", ["ip_override", "user_agent", "user_id", "user_data", "User_Id"])
def test_identifying_fields_are_never_built(field: str) -> None:
    result = build(item("click", {field: "203.0.113.9", "ok": "1"}))
    assert only_event(result)["params"] == ENGAGED | {"ok": "1"}
    assert result.reasons["param_forbidden"] == 1
    assert "NAME_RESERVED" in codes(valid_body(**{field.lower(): "x"}))


def test_event_mode_needs_a_ga_style_client_id() -> None:
    bad = item(client_id="GA1.1.123.456")
    result = build(bad, item())
    assert result.dropped == {bad.id: "client_id_invalid"}
    assert "VALUE_INVALID" in codes(valid_body(client_id="abc"))


def test_events_share_a_request_only_with_the_same_client_location_and_device() -> None:
    a = item(client_id="1.1", location={"country_id": "RU"})
    b = item(client_id="1.1", location={"country_id": "RU"})
    c = item(client_id="1.1", location={"country_id": "DE"})
    d = item(client_id="2.2", location={"country_id": "RU"})
    result = build(a, b, c, d)
    assert sorted(r.event_ids for r in result.requests) == sorted([[a.id, b.id], [c.id], [d.id]])


def test_aggregate_requests_get_a_fresh_client_id_and_no_location() -> None:
    items = [
        item("page_view", {"page_path": f"/p{i}", "aggregated_count": 7}, mode="aggregate")
        for i in range(60)
    ]
    result = build(*items)
    assert [len(r.body["events"]) for r in result.requests] == [25, 25, 10]
    client_ids = [r.body["client_id"] for r in result.requests]
    assert len(set(client_ids)) == 3
    assert all("user_location" not in r.body and "device" not in r.body for r in result.requests)


def test_ad_signals_are_always_denied() -> None:
    result = build(item())
    assert result.requests[0].body["consent"] == {
        "ad_user_data": "DENIED",
        "ad_personalization": "DENIED",
    }


# ---------------------------------------------------------------- properties

json_scalars = st.one_of(
    st.text(max_size=1200),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
json_values = st.one_of(json_scalars, st.lists(json_scalars, max_size=2))
names = st.one_of(
    st.text(max_size=60),
    st.sampled_from(sorted(RESERVED_EVENT_NAMES)),
    st.sampled_from(["ga_x", "_x", "user_id", "ip_override", "page_location", "page_title"]),
)


@given(
    events=st.lists(
        st.tuples(
            names,
            st.dictionaries(names, json_values, max_size=35),
            st.integers(min_value=NOW - 80 * 3600 * 1_000_000, max_value=NOW + 10**9),
            st.sampled_from(["event", "aggregate"]),
            st.sampled_from(["1.1", "2.2", "x.y"]),
        ),
        max_size=40,
    )
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_everything_built_is_valid_and_nothing_is_lost_silently(
    events: list[tuple[Any, dict[Any, Any], int, str, str]],
) -> None:
    items = [
        item(name, params, mode=mode, client_id=cid, timestamp=ts)
        for name, params, ts, mode, cid in events
    ]
    result = build(*items)  # asserts every body valid and free of identifying fields
    sent = [i for r in result.requests for i in r.event_ids]
    assert len(sent) == len(set(sent))
    assert sorted(sent + list(result.dropped)) == sorted(i.id for i in items)
    assert all(len(r.body["events"]) <= 25 for r in result.requests)
    assert isinstance(result.reasons, Counter)
    json.dumps([r.body for r in result.requests])


def test_names_with_nothing_ga_can_read_are_dropped() -> None:
    result = build(item("просмотр"), item("click", {"цена": 10, "ok": 1}))
    assert [e["name"] for r in result.requests for e in r.body["events"]] == ["click"]
    assert only_event(build(item("click", {"цена": 10, "ok": 1})))["params"] == ENGAGED | {"ok": 1}
    assert result.reasons["event_name_unusable"] == 1
    assert result.reasons["param_name_unusable"] == 1
