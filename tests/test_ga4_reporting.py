"""What GA4 needs to report (SPEC "Analytics"): sessions, engaged time, attribution,
aggregate sources, validation as Google does it; end to end through the intake,
the window close and the forwarder against the local GA4."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.analytics.forwarding import forwarder as forwarder_module
from gateway.analytics.forwarding.fakega import FakeGA
from gateway.analytics.forwarding.forwarder import Forwarder, ForwardSettings, synthetic_client_id
from gateway.analytics.forwarding.ga4 import (
    CLIENT_ID_PATTERN,
    ENFORCE_RECOMMENDATIONS,
    check_request,
    forbidden_fields_in,
    synthetic_session_id,
)
from gateway.analytics.intake import attribution, sessions
from gateway.analytics.intake.aggregate import Bucket, fold_buckets
from gateway.extensions import db
from gateway.sites import all_sites
from tests.conftest import DESKTOP_UA, AppFactory
from tests.consent_helpers import recorded_token
from tests.test_collect import dump_everything, rows

ORIGIN = "https://hottelecom.example"
HEADERS = {"User-Agent": DESKTOP_UA, "Origin": ORIGIN}
FAST = {
    "GA_TIMEOUT": 1,
    "FORWARD_BACKOFF_BASE": 0.05,
    "FORWARD_BACKOFF_MAX": 0.3,
    "FORWARD_ONCE_DEADLINE": 20,
    "FORWARD_CLAIM_TTL": 30,
}


def collect(client: FlaskClient, **body: Any) -> dict[str, Any]:
    data = {
        "site": "hottelecom",
        "page": {"url": f"{ORIGIN}/tariffs", "referrer": "", "title": "Тарифы"},
        "events": [{"name": "page_view"}],
        **body,
    }
    response = client.post("/api/v1/collect", json=data, headers=HEADERS)
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()  # type: ignore[no-any-return]


def outbox_events(app: Flask) -> list[dict[str, Any]]:
    return [json.loads(r["event_json"]) for r in rows(app, "outbox_events")]


@pytest.fixture
def fake_ga() -> Iterator[FakeGA]:
    with FakeGA() as fake:
        yield fake


def forwarder(app: Flask) -> Forwarder:
    with app.app_context():
        settings = ForwardSettings.from_config(app.config)
        return Forwarder(db.engine, all_sites(), settings)


# ---------------------------------------------------------------- 1. sessions


def test_a_consented_session_id_follows_the_session_start_and_is_ga_shaped(
    app: Flask, client: FlaskClient
) -> None:
    token = recorded_token(app, consent_id="session-visitor")
    start = int(time.time()) - 600
    collect(client, consent=token, session_start=start)
    collect(client, consent=token, session_start=start)
    # 30 minutes without activity: the tracker starts a new session.
    collect(client, consent=token, session_start=int(time.time()))
    first, same, new = (e["params"]["session_id"] for e in outbox_events(app))
    assert first == same != new
    for session_id in (first, new):
        assert session_id.isdigit()
        assert len(session_id) == 10
    # Derived from the start, never the start itself (GA must not learn it).
    assert str(start) not in dump_everything(app)


def test_a_session_start_the_clock_cannot_believe_falls_back_to_one_per_day(
    app: Flask, client: FlaskClient
) -> None:
    token = recorded_token(app, consent_id="odd-clock")
    for odd in (0, int(time.time()) + 3600, "1795000000", True, 1e300, None):
        collect(client, consent=token, session_start=odd)
    ids = {e["params"]["session_id"] for e in outbox_events(app)}
    assert len(ids) == 1


def test_without_consent_the_session_start_is_neither_used_nor_kept(
    app: Flask, client: FlaskClient
) -> None:
    start = int(time.time()) - 60
    answer = collect(client, session_start=start)
    assert answer["mode"] == "aggregate"
    assert rows(app, "outbox_events") == []
    assert str(start) not in dump_everything(app)


def test_gtag_sessions_come_from_its_sid_hashed(app: Flask, client: FlaskClient) -> None:
    shared = {"v": "2", "tid": "G-TEST000001", "cid": "111.222", "gcs": "G111", "dl": ORIGIN + "/"}
    for sid in ("1732530000", "1732530000", "1732539999"):
        query = urlencode({**shared, "sid": sid, "en": "page_view"})
        assert client.get(f"/g/collect?{query}", headers=HEADERS).status_code == 204
    first, same, other = (e["params"]["session_id"] for e in outbox_events(app))
    assert first == same != other
    assert "1732530000" not in dump_everything(app)


def test_synthetic_ids_are_ga_shaped_and_never_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forwarder_module.secrets, "randbelow", lambda _n: 0)
    client_id = synthetic_client_id()
    assert CLIENT_ID_PATTERN.match(client_id)
    assert set(client_id.replace(".", "")) != {"0"}
    monkeypatch.setattr(secrets, "randbelow", lambda _n: 0)
    assert int(synthetic_session_id()) > 0
    assert check_request({"client_id": "0.0", "events": [{"name": "x"}]}, 0)[0]["fieldPath"] == (
        "client_id"
    )


# ---------------------------------------------------------------- 2. engaged time


def test_measured_engaged_time_reaches_the_event_and_user_engagement_is_renamed(
    app: Flask, client: FlaskClient
) -> None:
    token = recorded_token(app, consent_id="engaged")
    collect(
        client,
        consent=token,
        events=[
            {"name": "page_view", "params": {"engagement_time_msec": 4200}},
            {"name": "user_engagement", "params": {"engagement_time_msec": 15000}},
            {"name": "scroll", "params": {"engagement_time_msec": "a lot"}},
        ],
    )
    view, engaged, scroll = outbox_events(app)
    assert view["params"]["engagement_time_msec"] == 4200
    assert engaged["name"] == "page_engagement"
    assert engaged["params"]["engagement_time_msec"] == 15000
    assert scroll["params"]["engagement_time_msec"] == sessions.MIN_ENGAGEMENT_MSEC


def test_gtag_et_travels_on_a_permitted_event(app: Flask, client: FlaskClient) -> None:
    query = urlencode(
        {
            "v": "2",
            "tid": "G-TEST000001",
            "cid": "1.2",
            "gcs": "G111",
            "dl": ORIGIN + "/",
            "en": "user_engagement",
            "_et": "9100",
        }
    )
    client.get(f"/g/collect?{query}", headers=HEADERS)
    (event,) = outbox_events(app)
    assert event == {
        "name": "page_engagement",
        "params": {
            "page_location": ORIGIN + "/",
            "session_id": event["params"]["session_id"],
            "engagement_time_msec": 9100,
        },
    }


def test_every_forwarded_event_carries_a_session_and_engaged_time(
    app_factory: AppFactory, fake_ga: FakeGA
) -> None:
    app = app_factory(GA_ENDPOINT=fake_ga.url, AGGREGATE_MIN_COUNT=1, **FAST)
    client = app.test_client()
    token = recorded_token(app, consent_id="all-fields")
    page = {"url": f"{ORIGIN}/tariffs?utm_source=vk", "referrer": "https://ya.ru/"}
    for consent in (token, None):
        for _ in range(3):
            body: dict[str, Any] = {
                "page": page,
                "events": [
                    {"name": "page_view"},
                    {"name": "user_engagement", "params": {"engagement_time_msec": 3000}},
                    {"name": "select_tariff", "params": {"tariff": "home-500"}},
                ],
            }
            if consent:
                body["consent"] = consent
            collect(client, **body)
    assert forwarder(app).drain(flush=True).pending_left == 0
    accepted = fake_ga.accepted()
    modes = set()
    for request in accepted:
        body = request["body"]
        assert check_request(body, int(time.time() * 1e6), behavior=ENFORCE_RECOMMENDATIONS) == []
        assert forbidden_fields_in(body) == []
        modes.add("aggregate" if "aggregated_count" in body["events"][0]["params"] else "event")
        for event in body["events"]:
            assert event["params"]["engagement_time_msec"] > 0
            assert event["params"]["session_id"].isdigit()
    assert modes == {"event", "aggregate"}
    aggregate_sessions = [
        r["body"]["events"][0]["params"]["session_id"]
        for r in accepted
        if "aggregated_count" in r["body"]["events"][0]["params"]
    ]
    # One synthetic session per aggregate request: it links no two of them.
    assert len(set(aggregate_sessions)) == len(aggregate_sessions)


# ---------------------------------------------------------------- 3. attribution


@pytest.mark.parametrize(
    ("referrer", "expected"),
    [
        ("https://yandex.ru/search/?text=hottelecom", ("yandex", "organic")),
        ("https://ya.ru/", ("yandex", "organic")),
        ("https://www.google.com/", ("google", "organic")),
        ("https://www.google.ru/url?q=x", ("google", "organic")),
        ("https://go.mail.ru/search?q=x", ("mail.ru", "organic")),
        ("https://vk.com/away.php", ("vk.com", "social")),
        ("https://t.me/hottelecom", ("t.me", "social")),
        ("https://ok.ru/", ("ok.ru", "social")),
        ("https://dzen.ru/a/x", ("dzen.ru", "social")),
        ("https://e.mail.ru/inbox", ("mail.ru", "email")),
        ("https://www.bing.com/", ("bing", "organic")),
        ("https://blog.partner.example/review", ("blog.partner.example", "referral")),
    ],
)
def test_referrers_get_source_and_medium_from_the_maintained_list(
    referrer: str, expected: tuple[str, str]
) -> None:
    (source, campaign) = attribution.landing_source(
        f"{ORIGIN}/", referrer, (ORIGIN,), frozenset({"utm_source"})
    )
    assert source == expected
    assert campaign == attribution.Campaign(*expected)


@pytest.mark.parametrize(
    "referrer",
    ["", None, "https://hottelecom.example/other", "https://192.168.0.7/", "ftp://x.example/"],
)
def test_no_referrer_internal_or_unusable_starts_no_campaign(referrer: str | None) -> None:
    source, campaign = attribution.landing_source(f"{ORIGIN}/", referrer, (ORIGIN,), frozenset())
    assert campaign is None
    assert source in (attribution.DIRECT, attribution.INTERNAL)


def test_campaign_parameters_win_and_are_scrubbed() -> None:
    url = (
        f"{ORIGIN}/?utm_source=newsletter&utm_medium=email&utm_campaign=ivan%40mail.ru"
        "&utm_term=%2B7+916+123-45-67&utm_content=banner_a&gclid=X"
    )
    allow = frozenset({"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"})
    source, campaign = attribution.landing_source(url, "https://yandex.ru/", (ORIGIN,), allow)
    assert source == ("newsletter", "email")
    assert campaign is not None
    assert campaign.params() == {
        "source": "newsletter",
        "medium": "email",
        "campaign": "[email]",
        "term": "[phone]",
        "content": "banner_a",
    }
    # Parameters the site does not allow are never read.
    source, campaign = attribution.landing_source(url, None, (ORIGIN,), frozenset({"utm_campaign"}))
    assert campaign is None
    assert source == attribution.DIRECT


def test_a_consented_landing_yields_campaign_details(app: Flask, client: FlaskClient) -> None:
    token = recorded_token(app, consent_id="landing")
    collect(
        client,
        consent=token,
        page={"url": f"{ORIGIN}/tariffs", "referrer": "https://yandex.ru/search/?text=тариф"},
    )
    campaign, view = outbox_events(app)
    assert campaign["name"] == "campaign_details"
    assert (campaign["params"]["source"], campaign["params"]["medium"]) == ("yandex", "organic")
    assert campaign["params"]["session_id"] == view["params"]["session_id"]
    assert "тариф" not in dump_everything(app)
    # The next page of the visit comes from the site itself: no new campaign.
    collect(
        client,
        consent=token,
        page={"url": f"{ORIGIN}/cart", "referrer": f"{ORIGIN}/tariffs"},
    )
    assert [e["name"] for e in outbox_events(app)] == [
        "campaign_details",
        "page_view",
        "page_view",
    ]


def test_aggregate_buckets_have_source_and_medium_and_rare_ones_fold() -> None:
    buckets = [
        Bucket("page_view", "/", "RU", "desktop", 6, "yandex", "organic"),
        Bucket("page_view", "/", "RU", "desktop", 2, "t.me", "social"),
        Bucket("page_view", "/", "RU", "desktop", 2, "rare.example", "referral"),
        Bucket("page_view", "/", "RU", "desktop", 1, "ivan-blog.example", "referral"),
    ]
    result = fold_buckets(buckets, 5)
    kept = {(b.source, b.medium): b.count for b in result.kept}
    assert kept == {("yandex", "organic"): 6, ("(other)", "(other)"): 5}
    assert all(b.count >= 5 for b in result.kept)


def test_unconsented_page_views_count_by_source_and_reach_ga_as_parameters(
    app_factory: AppFactory, fake_ga: FakeGA
) -> None:
    app = app_factory(GA_ENDPOINT=fake_ga.url, AGGREGATE_MIN_COUNT=2, **FAST)
    client = app.test_client()
    for referrer in ("https://yandex.ru/", "https://yandex.ru/", "https://ivan-petrov.example/"):
        collect(client, page={"url": f"{ORIGIN}/", "referrer": referrer})
    counted = {
        (b["source"], b["medium"], b["consented"]): b["count"]
        for b in rows(app, "aggregate_counts")
    }
    assert counted == {("yandex", "organic", 0): 2, ("ivan-petrov.example", "referral", 0): 1}
    forwarder(app).drain(flush=True)
    (request,) = fake_ga.accepted()
    (event,) = request["body"]["events"]
    assert (event["params"]["source"], event["params"]["medium"]) == ("yandex", "organic")
    assert event["params"]["aggregated_count"] == 2
    assert "ivan-petrov" not in json.dumps(fake_ga.recorded)


# ---------------------------------------------------------------- 5. validation


def test_ga_validate_asks_ga_to_enforce_its_recommendations(
    app_factory: AppFactory, fake_ga: FakeGA
) -> None:
    app = app_factory()
    result = app.test_cli_runner().invoke(
        args=["ga-validate", "--site", "hottelecom", "--endpoint", fake_ga.url]
    )
    assert result.exit_code == 0, result.output
    assert "valid" in result.output
    recorded = [r for r in fake_ga.recorded if r["path"] == "/debug/mp/collect"]
    assert recorded
    for request in recorded:
        assert request["body"]["validation_behavior"] == "ENFORCE_RECOMMENDATIONS"
    names = {e["name"] for r in recorded for e in r["body"]["events"]}
    assert {"campaign_details", "page_view", "page_engagement"} <= names
    assert "user_engagement" not in names


def test_the_validator_knows_ad_impression_is_reserved() -> None:
    body = {"client_id": "1.2", "events": [{"name": "ad_impression"}]}
    assert "NAME_RESERVED" in {m["validationCode"] for m in check_request(body, 0)}


def test_per_event_timestamps_are_checked() -> None:
    now = int(time.time() * 1e6)
    body = {
        "client_id": "1.2",
        "validation_behavior": "ENFORCE_RECOMMENDATIONS",
        "events": [
            {
                "name": "click",
                "timestamp_micros": now - 80 * 3600 * 1_000_000,
                "params": {"session_id": "1", "engagement_time_msec": 1},
            },
            {
                "name": "click",
                "timestamp_micros": now + 3600 * 1_000_000,
                "params": {"session_id": "1", "engagement_time_msec": 1},
            },
        ],
    }
    paths = {m["fieldPath"] for m in check_request(body, now)}
    assert paths == {"events[0].timestamp_micros", "events[1].timestamp_micros"}
