"""The intake over HTTP: /api/v1/collect and /g/collect, both modes, errors, forgetting."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings

from gateway.analytics.intake.anonymizer import client_id_from
from gateway.analytics.intake.sessions import MIN_ENGAGEMENT_MSEC
from gateway.analytics.intake.views import token_cache_key
from gateway.db import Base
from gateway.extensions import db
from gateway.models import import_all_models
from gateway.security import NON_HTML_POLICY
from tests import pii
from tests.conftest import DESKTOP_UA, AppFactory
from tests.consent_helpers import recorded_token

ORIGIN = "https://hottelecom.example"
HEADERS = {"User-Agent": DESKTOP_UA, "Origin": ORIGIN}


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "site": "hottelecom",
        "page": {
            "url": "https://hottelecom.example/tariffs/internet?utm_source=yandex&gclid=XYZ#top",
            "referrer": "https://yandex.ru/search/?text=hottelecom",
            "title": "Домашний интернет",
        },
        "events": [{"name": "page_view"}],
    }
    data.update(overrides)
    return data


def token(app: Flask, site: str = "hottelecom", analytics: bool = True, cid: str = "c-1") -> str:
    return recorded_token(app, site=site, analytics=analytics, consent_id=cid)


def rows(app: Flask, table: str) -> list[dict[str, Any]]:
    with app.app_context():
        result = db.session.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))
        return [dict(r._mapping) for r in result]


def dump_everything(app: Flask, *, except_tables: tuple[str, ...] = ()) -> str:
    """Every column of every row of every table, as one string."""
    import_all_models()
    parts: list[str] = []
    with app.app_context():
        for table in Base.metadata.sorted_tables:
            if table.name in except_tables:
                continue
            for row in db.session.execute(sa.select(table)):
                parts.extend(str(value) for value in row)
    return "\n".join(parts)


# --- /api/v1/collect: aggregate mode ------------------------------------------


def test_anonymous_page_view_is_only_counted(app: Flask, client: FlaskClient) -> None:
    response = client.post("/api/v1/collect", json=body(), headers=HEADERS)
    assert response.status_code == 202
    assert response.get_json() == {"accepted": 1, "dropped": 0, "mode": "aggregate", "reasons": {}}
    assert rows(app, "outbox_events") == []
    (bucket,) = rows(app, "aggregate_counts")
    assert bucket["site"] == "hottelecom"
    assert bucket["event_name"] == "page_view"
    assert bucket["page_path"] == "/tariffs/internet"
    assert bucket["country"] == ""
    assert bucket["device_category"] == "desktop"
    assert bucket["count"] == 1
    stats = rows(app, "collect_stats")
    assert [(s["result"], s["reason"], s["count"]) for s in stats] == [("aggregate", "", 1)]


def test_same_bucket_is_incremented(app: Flask, client: FlaskClient) -> None:
    for _ in range(3):
        client.post("/api/v1/collect", json=body(), headers=HEADERS)
    client.post(
        "/api/v1/collect",
        json=body(events=[{"name": "page_view"}, {"name": "click"}]),
        headers=HEADERS,
    )
    counts = {b["event_name"]: b["count"] for b in rows(app, "aggregate_counts")}
    assert counts == {"page_view": 4, "click": 1}
    (stat,) = rows(app, "collect_stats")
    assert stat["count"] == 5


def test_sendbeacon_text_plain_is_accepted(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/collect",
        data=json.dumps(body()),
        content_type="text/plain;charset=UTF-8",
        headers=HEADERS,
    )
    assert response.status_code == 202
    assert response.get_json()["accepted"] == 1


# --- /api/v1/collect: event mode ----------------------------------------------


def test_consented_visitor_gets_event_mode(app: Flask, client: FlaskClient) -> None:
    consent = token(app, cid="consent-42")
    page = {
        "url": "https://ivan:pw@hottelecom.example/cabinet/ivan@mail.ru?utm_source=vk&phone=8916#x",
        "referrer": "https://hottelecom.example/previous",
        "title": "Кабинет +7 916 123-45-67",
    }
    events = [
        {"name": "page_view"},
        {"name": "select_tariff", "params": {"tariff": "home-500", "email": "ivan@mail.ru"}},
    ]
    response = client.post(
        "/api/v1/collect", json=body(consent=consent, page=page, events=events), headers=HEADERS
    )
    assert response.get_json() == {"accepted": 2, "dropped": 0, "mode": "event", "reasons": {}}
    # The page view is counted for the gateway's own traffic view only, never forwarded.
    (traffic,) = rows(app, "aggregate_counts")
    assert (traffic["event_name"], traffic["consented"], traffic["count"]) == ("page_view", 1, 1)
    campaign, first, second = rows(app, "outbox_events")
    expected_cid = client_id_from(app.extensions["gateway.analytics.key"], "consent", "consent-42")
    assert first["client_id"] == second["client_id"] == expected_cid
    # utm_source on the landing: GA4 attributes the session from campaign_details.
    assert json.loads(campaign["event_json"]) == {
        "name": "campaign_details",
        "params": {
            "source": "vk",
            "medium": "(not set)",
            "page_location": "https://hottelecom.example/cabinet/:redacted?utm_source=vk",
            "session_id": json.loads(first["event_json"])["params"]["session_id"],
            "engagement_time_msec": 1,
        },
    }
    assert first["mode"] == "event"
    assert first["status"] == "pending"
    assert first["user_location_json"] is None
    assert json.loads(first["device_json"]) == {
        "category": "desktop",
        "operating_system": "Linux",
        "browser": "Chrome",
        "browser_version": "156",
    }
    event = json.loads(first["event_json"])
    assert event["name"] == "page_view"
    params = event["params"]
    assert params["page_location"] == "https://hottelecom.example/cabinet/:redacted?utm_source=vk"
    assert "page_referrer" not in params  # internal referrer
    assert params["page_title"] == "Кабинет [phone]"
    assert params["session_id"].isdigit()
    assert params["engagement_time_msec"] == MIN_ENGAGEMENT_MSEC  # nothing measured yet
    second_params = json.loads(second["event_json"])["params"]
    assert second_params["tariff"] == "home-500"
    assert "email" not in second_params
    assert second_params["session_id"] == params["session_id"]
    # The consent id lives in the proof of consent only, never beside analytics.
    assert "consent-42" not in dump_everything(app, except_tables=("consent_records",))


@pytest.mark.parametrize(
    ("site", "analytics"), [("shop", True), ("hottelecom", False)], ids=["other-site", "refused"]
)
def test_consent_that_does_not_grant_analytics_here_means_aggregate(
    app: Flask, client: FlaskClient, site: str, analytics: bool
) -> None:
    consent = token(app, site=site, analytics=analytics)
    response = client.post("/api/v1/collect", json=body(consent=consent), headers=HEADERS)
    assert response.get_json()["mode"] == "aggregate"
    assert rows(app, "outbox_events") == []


def test_tampered_consent_token_means_aggregate(app: Flask, client: FlaskClient) -> None:
    consent = token(app)[:-3] + "AAA"
    response = client.post("/api/v1/collect", json=body(consent=consent), headers=HEADERS)
    assert response.get_json()["mode"] == "aggregate"
    assert rows(app, "outbox_events") == []


def test_global_privacy_control_overrides_consent(app: Flask, client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/collect",
        json=body(consent=token(app)),
        headers={**HEADERS, "Sec-GPC": "1"},
    )
    assert response.get_json()["mode"] == "aggregate"
    assert rows(app, "outbox_events") == []
    assert len(rows(app, "aggregate_counts")) == 1


# --- drops ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ua", "reason"),
    [
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", None),
        ("curl/8.5.0", None),
        ("Xq7#garbled", "unrecognized_user_agent"),
        ("python-requests/2.32.3", None),
        ("", "unrecognized_user_agent"),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/120.0.0.0 Safari/537.36",
            "headless_browser",
        ),
    ],
)
def test_bots_are_dropped_before_anything_is_stored(
    app: Flask, client: FlaskClient, ua: str, reason: str | None
) -> None:
    response = client.post(
        "/api/v1/collect",
        json=body(consent=token(app), events=[{"name": "page_view"}, {"name": "click"}]),
        headers={"User-Agent": ua, "Origin": ORIGIN},
    )
    answer = response.get_json()
    assert response.status_code == 202
    assert answer["accepted"] == 0
    assert answer["dropped"] == 2
    (got_reason,) = answer["reasons"]
    if reason:
        assert got_reason == reason
    assert rows(app, "outbox_events") == []
    assert rows(app, "aggregate_counts") == []
    (stat,) = rows(app, "collect_stats")
    assert (stat["result"], stat["reason"], stat["count"]) == ("dropped", got_reason, 2)


def test_invalid_event_names_are_dropped_with_a_reason(app: Flask, client: FlaskClient) -> None:
    events = [{"name": "page_view"}, {"name": "ivan@mail.ru"}, {"name": 5}]
    response = client.post("/api/v1/collect", json=body(events=events), headers=HEADERS)
    assert response.get_json() == {
        "accepted": 1,
        "dropped": 2,
        "mode": "aggregate",
        "reasons": {"invalid_event_name": 2},
    }
    assert "ivan" not in dump_everything(app)


# --- errors -------------------------------------------------------------------------


def error(response: Any) -> str:
    payload = response.get_json()
    assert set(payload) == {"error"}
    return str(payload["error"]["code"])


def test_wrong_content_type_is_415(client: FlaskClient) -> None:
    response = client.post("/api/v1/collect", data="site=x", content_type="text/html")
    assert response.status_code == 415
    assert error(response) == "unsupported_media_type"


def test_body_over_64_kib_is_413(client: FlaskClient) -> None:
    big = json.dumps(body(page={"url": "https://hottelecom.example/", "title": "x" * 70_000}))
    response = client.post("/api/v1/collect", data=big, content_type="application/json")
    assert response.status_code == 413
    assert error(response) == "payload_too_large"


def test_body_shorter_than_its_content_length_is_400_and_stores_nothing(
    app: Flask, client: FlaskClient
) -> None:
    """A client that stops sending mid-body: the request is refused, not half-read."""
    whole = json.dumps(body())
    response = client.post(
        "/api/v1/collect",
        data=whole[: len(whole) // 2],
        content_type="application/json",
        environ_overrides={"CONTENT_LENGTH": str(len(whole))},
    )
    assert response.status_code == 400
    assert "shorter than its Content-Length" in response.get_json()["error"]["message"]
    assert rows(app, "aggregate_counts") == []


def test_chunked_body_without_content_length_is_read_whole(app: Flask, client: FlaskClient) -> None:
    """gunicorn (like most servers) decodes chunked bodies and says so with
    wsgi.input_terminated; there is no Content-Length to read up to."""
    payload = json.dumps(body()).encode()
    response = client.post(
        "/api/v1/collect",
        input_stream=io.BytesIO(payload),
        content_type="application/json",
        headers={**HEADERS, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.get_json()["accepted"] == 1


def test_unknown_site_is_404(client: FlaskClient) -> None:
    response = client.post("/api/v1/collect", json=body(site="nope"), headers=HEADERS)
    assert response.status_code == 404
    assert error(response) == "unknown_site"


def test_foreign_origin_is_403(app: Flask, client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/collect", json=body(), headers={**HEADERS, "Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert rows(app, "aggregate_counts") == []


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{", "not valid JSON"),
        ("", "empty body"),
        ("[1]", "JSON object"),
        ("[" * 5000 + "]" * 5000, "not valid JSON"),
        (json.dumps({"page": {"url": "https://x.example/"}, "events": []}), "site"),
        (json.dumps({"site": "hottelecom", "events": [{"name": "a"}]}), "page"),
        (json.dumps({"site": "hottelecom", "page": {}, "events": [{"name": "a"}]}), "page.url"),
        (json.dumps(body(events=[])), "non-empty"),
        (json.dumps(body(events=[{"name": "a"}] * 26)), "at most 25"),
        (json.dumps(body(events=["page_view"])), "events[0]"),
        (json.dumps(body(events=[{"name": "a", "params": [1]}])), "params"),
        (json.dumps(body(consent=5)), "consent"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
    ],
)
def test_malformed_bodies_are_400(client: FlaskClient, payload: Any, message: str) -> None:
    response = client.post("/api/v1/collect", data=payload, content_type="application/json")
    assert response.status_code == 400
    assert message in response.get_json()["error"]["message"]


def test_page_url_that_is_not_a_page_drops_the_events(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/collect", json=body(page={"url": "javascript:alert(1)"}), headers=HEADERS
    )
    assert response.status_code == 202
    assert response.get_json()["reasons"] == {"invalid_page_url": 1}


def test_page_url_with_a_nul_character_is_dropped_not_a_storage_error(
    app: Flask, client: FlaskClient
) -> None:
    """PostgreSQL refuses NUL in text: it never reaches the database, and never as a 5xx.

    Both parsers drop NUL from what they read (a JSON body can only spell it as
    an escape), so the pages are counted without it.
    """
    response = client.post(
        "/api/v1/collect",
        json=body(page={"url": "https://hottelecom.example/a\x00b"}),
        headers=HEADERS,
    )
    assert response.status_code == 202
    assert response.get_json()["accepted"] == 1
    query = urlencode({**GTAG_SHARED, "en": "page_view", "dl": "https://hottelecom.example/\x00"})
    assert client.get(f"/g/collect?{query}", headers=HEADERS).status_code == 204
    assert sorted(r["page_path"] for r in rows(app, "aggregate_counts")) == ["/", "/ab"]


# --- CORS -----------------------------------------------------------------------------


def test_cors_answer_names_the_sites_origin(client: FlaskClient) -> None:
    response = client.post("/api/v1/collect", json=body(), headers=HEADERS)
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_preflight_is_answered_for_known_origins_only(client: FlaskClient) -> None:
    ok = client.options(
        "/api/v1/collect",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert ok.status_code == 204
    assert ok.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in ok.headers["Access-Control-Allow-Methods"]
    assert ok.headers["Access-Control-Allow-Headers"] == "Content-Type"
    refused = client.options("/api/v1/collect", headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused.headers


# --- /g/collect -----------------------------------------------------------------------

GTAG_SHARED = {
    "v": "2",
    "tid": "G-TEST000001",
    "gtm": "45je4b10",
    "_p": "1732530000000",
    "cid": "1234567890.1732530000",
    "ul": "ru-ru",
    "sr": "1920x1080",
    "uaa": "x86",
    "uafvl": "Chromium;131.0.6778.86",
    "sid": "1732530000",
    "sct": "3",
    "dl": "https://hottelecom.example/tariffs?utm_source=vk&gclid=abc&email=ivan%40mail.ru",
    "dr": "https://www.google.com/search?q=ivan",
    "dt": "Тарифы",
    "up.customer_tier": "gold",
}


def test_gtag_hit_without_analytics_consent_is_counted(app: Flask, client: FlaskClient) -> None:
    query = urlencode({**GTAG_SHARED, "gcs": "G100", "en": "page_view", "_et": "10"})
    response = client.get(f"/g/collect?{query}", headers=HEADERS)
    assert response.status_code == 204
    assert rows(app, "outbox_events") == []
    (bucket,) = rows(app, "aggregate_counts")
    assert (bucket["event_name"], bucket["page_path"]) == ("page_view", "/tariffs")


def test_gtag_batch_with_analytics_granted_is_forwarded_under_a_hashed_id(
    app: Flask, client: FlaskClient
) -> None:
    query = urlencode({**GTAG_SHARED, "gcs": "G101"})
    lines = "\r\n".join(
        [
            "en=page_view&_et=1500",
            "en=scroll&epn.percent_scrolled=90&_et=200",
            "en=click&ep.link_text=%2B7%20916%20123-45-67&ep.user_email=ivan%40mail.ru",
        ]
    )
    response = client.post(
        f"/g/collect?{query}", data=lines, content_type="text/plain;charset=UTF-8", headers=HEADERS
    )
    assert response.status_code == 204
    outbox = rows(app, "outbox_events")
    names = [json.loads(r["event_json"])["name"] for r in outbox]
    # The landing carries utm_source: GA4 attributes the session from campaign_details.
    assert names == ["campaign_details", "page_view", "scroll", "click"]
    expected = client_id_from(
        app.extensions["gateway.analytics.key"], "gtag", "1234567890.1732530000"
    )
    assert {r["client_id"] for r in outbox} == {expected}
    campaign, view, scroll, click = (json.loads(r["event_json"])["params"] for r in outbox)
    assert (campaign["source"], campaign["medium"]) == ("vk", "(not set)")
    assert campaign["session_id"] == view["session_id"]
    assert view["page_location"] == "https://hottelecom.example/tariffs?utm_source=vk"
    assert view["page_referrer"] == "https://google.com"
    assert view["page_title"] == "Тарифы"
    assert view["engagement_time_msec"] == 1500
    assert scroll["percent_scrolled"] == 90
    assert click["link_text"] == "[phone]"
    assert "user_email" not in click
    everything = dump_everything(app)
    for leaked in ("1234567890.1732530000", "gold", "1920x1080", "ivan", "x86", "Chromium"):
        assert leaked not in everything


def test_gtag_hit_with_gpc_is_counted_even_when_granted(app: Flask, client: FlaskClient) -> None:
    query = urlencode({**GTAG_SHARED, "gcs": "G111", "en": "page_view"})
    client.get(f"/g/collect?{query}", headers={**HEADERS, "Sec-GPC": "1"})
    assert rows(app, "outbox_events") == []
    assert len(rows(app, "aggregate_counts")) == 1


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"v": "2", "tid": "G-UNKNOWN001", "en": "page_view"}, 404),
        ({"v": "2", "en": "page_view"}, 400),
        ({"v": "1", "tid": "G-TEST000001", "en": "page_view"}, 400),
        ({"v": "2", "tid": "G-TEST000001"}, 400),
    ],
)
def test_gtag_errors(client: FlaskClient, query: dict[str, str], status: int) -> None:
    response = client.get(f"/g/collect?{urlencode(query)}", headers=HEADERS)
    assert response.status_code == status
    assert "error" in response.get_json()


@pytest.mark.parametrize("number", ["inf", "-inf", "nan", "1e400"])
def test_gtag_numbers_that_are_not_finite_are_ignored(
    app: Flask, client: FlaskClient, number: str
) -> None:
    query = urlencode(
        {**GTAG_SHARED, "gcs": "G101", "en": "scroll", "_et": number, "epn.depth": number}
    )
    response = client.get(f"/g/collect?{query}", headers=HEADERS)
    assert response.status_code == 204
    (row,) = rows(app, "outbox_events")
    params = json.loads(row["event_json"])["params"]
    assert "depth" not in params
    assert params["engagement_time_msec"] == MIN_ENGAGEMENT_MSEC


def test_gtag_post_with_wrong_content_type_is_415(client: FlaskClient) -> None:
    query = urlencode({"v": "2", "tid": "G-TEST000001"})
    response = client.post(f"/g/collect?{query}", data="{}", content_type="application/json")
    assert response.status_code == 415


def test_gtag_batch_over_25_lines_is_400(client: FlaskClient) -> None:
    query = urlencode({"v": "2", "tid": "G-TEST000001"})
    response = client.post(
        f"/g/collect?{query}", data="\n".join(["en=a"] * 26), content_type="text/plain"
    )
    assert response.status_code == 400


# --- enrichment, then forgetting ----------------------------------------------------

KNOWN_IP = "81.200.10.20"
PROXY_IP = "10.1.2.3"
FORWARDED_IP = "81.200.10.77"
DISTINCT_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/127.0.6533.99 Safari/537.36 ZzDistinctMarker/4.2"
)


@pytest.fixture
def geoip_db(tmp_path: Path) -> str:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, database_type="GeoIP2-City", ipv4_compatible=True)
    writer.insert_network(
        IPSet(["81.200.10.0/24"]),
        {
            "country": {"iso_code": "RU", "names": {"en": "Russia"}},
            "subdivisions": [{"iso_code": "MOW", "names": {"en": "Moscow"}}],
            "city": {"names": {"en": "Moscow"}},
        },
    )
    writer.insert_network(IPSet(["2a00:1450::/32"]), {"country": {"iso_code": "DE"}})
    path = tmp_path / "tiny-city.mmdb"
    writer.to_db_file(str(path))
    return str(path)


def test_ip_and_user_agent_are_reduced_then_forgotten(
    app_factory: AppFactory, geoip_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_factory(GEOIP_DB=geoip_db, TRUSTED_PROXIES=1, LOG_LEVEL="DEBUG")
    client = app.test_client()
    caplog.set_level(logging.DEBUG)
    headers = {
        "User-Agent": DISTINCT_UA,
        "Origin": ORIGIN,
        "X-Forwarded-For": f"{KNOWN_IP}, {FORWARDED_IP}",
    }
    environ = {"REMOTE_ADDR": PROXY_IP}
    consented = body(consent=token(app), events=[{"name": "page_view"}, {"name": "click"}])
    for payload in (consented, body()):
        response = client.post(
            "/api/v1/collect", json=payload, headers=headers, environ_base=environ
        )
        assert response.status_code == 202
    gtag = urlencode({**GTAG_SHARED, "gcs": "G111", "en": "page_view"})
    assert (
        client.get(f"/g/collect?{gtag}", headers=headers, environ_base=environ).status_code == 204
    )
    # A bad request is logged nowhere with the client's details either.
    client.post("/api/v1/collect", data="{", content_type="application/json", headers=headers)

    # Enriched: the forwarded address (one trusted proxy) was located...
    event = rows(app, "outbox_events")[0]
    assert json.loads(event["user_location_json"]) == {"country_id": "RU", "region_id": "RU-MOW"}
    assert json.loads(event["device_json"])["browser"] == "Chrome"
    countries = {b["country"] for b in rows(app, "aggregate_counts")}
    assert countries == {"RU"}
    # ...then forgotten: nothing of the address or the User-Agent is kept.
    everything = dump_everything(app)
    logs = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    for secret in (
        KNOWN_IP,
        FORWARDED_IP,
        PROXY_IP,
        "81.200.10",
        DISTINCT_UA,
        "ZzDistinctMarker",
        "127.0.6533.99",
        "Win64",
    ):
        assert secret not in everything, secret
        assert secret not in logs, secret


def test_no_geoip_database_means_no_location(app: Flask, client: FlaskClient) -> None:
    client.post(
        "/api/v1/collect",
        json=body(consent=token(app)),
        headers=HEADERS,
        environ_base={"REMOTE_ADDR": KNOWN_IP},
    )
    assert rows(app, "outbox_events")[0]["user_location_json"] is None


def test_unreadable_geoip_database_is_not_an_error(app_factory: AppFactory, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mmdb"
    broken.write_bytes(b"not a database")
    app = app_factory(GEOIP_DB=str(broken))
    response = app.test_client().post(
        "/api/v1/collect", json=body(), headers=HEADERS, environ_base={"REMOTE_ADDR": KNOWN_IP}
    )
    assert response.status_code == 202
    assert rows(app, "aggregate_counts")[0]["country"] == ""


def test_ipv6_and_country_only_records(app_factory: AppFactory, geoip_db: str) -> None:
    app = app_factory(GEOIP_DB=geoip_db)
    app.test_client().post(
        "/api/v1/collect",
        json=body(consent=token(app)),
        headers=HEADERS,
        environ_base={"REMOTE_ADDR": "2a00:1450:4010::65"},
    )
    assert json.loads(rows(app, "outbox_events")[0]["user_location_json"]) == {"country_id": "DE"}


# --- property: nothing injected over HTTP is stored -------------------------------------


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(secret=pii.secrets, fill=pii.filler)
def test_no_injected_secret_is_stored(
    app: Flask, client: FlaskClient, secret: str, fill: str
) -> None:
    q = quote(secret, safe="")
    page = {
        "url": f"https://{q}@hottelecom.example/{fill}/{q}?utm_source={q}&x={q}#{q}",
        "referrer": f"https://ref.example/{q}?q={q}",
        "title": f"{fill} {secret}",
    }
    events = [
        {"name": "page_view", "params": {"label": f"{fill}{secret}", "phone": secret}},
        {"name": secret, "params": {}},
    ]
    for consent in (token(app), None):
        client.post(
            "/api/v1/collect", json=body(consent=consent, page=page, events=events), headers=HEADERS
        )
    gtag = urlencode(
        {
            **GTAG_SHARED,
            "gcs": "G111",
            "en": "page_view",
            "dl": page["url"],
            "dt": page["title"],
            "ep.label": secret,
            "cid": secret,
        }
    )
    client.get(f"/g/collect?{gtag}", headers=HEADERS)
    # The proof of consent, written by the consent face before this request, is not
    # what is under test here (its genesis hash is all zeros, like one injected token).
    everything = dump_everything(app, except_tables=("consent_records", "consent_chain_head"))
    for needle in pii.needles(secret):
        assert needle not in everything


def test_unavailable_database_is_503_not_500(app_factory: AppFactory, tmp_path: Path) -> None:
    app = app_factory(DATABASE_URL=f"sqlite:///{tmp_path / 'unmigrated.db'}")
    response = app.test_client().post("/api/v1/collect", json=body(), headers=HEADERS)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert error(response) == "unavailable"


def test_concurrent_requests_lose_no_count(app: Flask) -> None:
    import threading

    consent = token(app)
    errors: list[int] = []

    def send(with_consent: bool) -> None:
        client = app.test_client()
        for _ in range(40):
            payload = body(consent=consent) if with_consent else body()
            status = client.post("/api/v1/collect", json=payload, headers=HEADERS).status_code
            if status != 202:
                errors.append(status)

    threads = [threading.Thread(target=send, args=(i % 2 == 0,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    unconsented = [b for b in rows(app, "aggregate_counts") if not b["consented"]]
    assert sum(b["count"] for b in unconsented) == 80
    names = [json.loads(r["event_json"])["name"] for r in rows(app, "outbox_events")]
    # Each consented landing from Yandex: its page view and its campaign_details.
    assert names.count("page_view") == names.count("campaign_details") == 80
    stats = {(s["result"], s["reason"]): s["count"] for s in rows(app, "collect_stats")}
    assert stats == {("aggregate", ""): 80, ("event", ""): 80}


def test_event_parameters_including_the_gateways_stay_within_25(
    app: Flask, client: FlaskClient
) -> None:
    events = [{"name": "many", "params": {f"p{i}": i for i in range(40)}}]
    client.post("/api/v1/collect", json=body(consent=token(app), events=events), headers=HEADERS)
    params = json.loads(rows(app, "outbox_events")[0]["event_json"])["params"]
    assert len(params) == 25
    assert {"page_location", "session_id", "engagement_time_msec"} <= set(params)


def test_withdrawn_consent_no_longer_allows_event_mode(app: Flask, client: FlaskClient) -> None:
    consent = token(app, cid="withdrawn-1")
    first = client.post("/api/v1/collect", json=body(consent=consent), headers=HEADERS)
    assert first.get_json()["mode"] == "event"
    withdrawn = client.delete(
        "/api/v1/consent/withdrawn-1",
        headers={"Authorization": f"Bearer {consent}", "Origin": "https://hottelecom.example"},
    )
    assert withdrawn.status_code == 200, withdrawn.get_data(as_text=True)
    # This worker verified the token a moment ago and still remembers it: the
    # withdrawal counts at the very next beacon all the same.
    assert token_cache_key(consent) in app.extensions["gateway.analytics.tokens"]
    after = client.post("/api/v1/collect", json=body(consent=consent), headers=HEADERS)
    assert after.get_json()["mode"] == "aggregate"


def test_withdrawal_recorded_by_staff_elsewhere_counts_at_the_next_beacon(
    app: Flask, client: FlaskClient
) -> None:
    from datetime import UTC, datetime

    from gateway.consent.services import withdraw_on_request

    consent = token(app, cid="staff-withdrawn")
    first = client.post("/api/v1/collect", json=body(consent=consent), headers=HEADERS)
    assert first.get_json()["mode"] == "event"
    # Recorded straight in the database, as a staff member completing a request on
    # another node does: nothing in this worker is told.
    with app.app_context():
        session = db.session()
        assert withdraw_on_request(session, "staff-withdrawn", datetime.now(UTC)) == "withdrawn"
        session.commit()
    after = client.post("/api/v1/collect", json=body(consent=consent), headers=HEADERS)
    assert after.get_json()["mode"] == "aggregate"


def test_the_proof_of_consent_read_leaves_no_snapshot_open(app: Flask, client: FlaskClient) -> None:
    """The read runs on the writer's kept connection: were its statement left open, that
    connection would keep seeing the database as it was, withdrawals included."""
    consent = token(app, cid="snapshot-1")
    first = client.post("/api/v1/collect", json=body(consent=consent), headers=HEADERS)
    assert first.get_json()["mode"] == "event"
    writer = app.extensions["gateway.analytics.writer"]
    kept = writer._kept_connection()
    if hasattr(kept, "in_transaction"):  # SQLite: one DB-API connection per thread
        assert not kept.in_transaction
    elif kept is not None:  # PostgreSQL (psycopg): nothing left open on the server either
        from psycopg.pq import TransactionStatus

        assert kept.info.transaction_status == TransactionStatus.IDLE
    # Withdrawn on another connection, with no beacon written in between.
    with app.app_context(), db.transaction() as session:
        from gateway.consent.services import withdraw
        from gateway.timeutil import utcnow

        withdraw(session, "snapshot-1", "api", "Firefox", utcnow())
    standing = writer.read(
        lambda cursor: app.extensions["gateway.analytics.standing"].run(cursor, "snapshot-1")
    )
    assert standing is not None
    assert standing.withdrawn


def test_proof_of_consent_unreadable_is_503_not_500(app: Flask, client: FlaskClient) -> None:
    consent = token(app, cid="unreadable-1")
    query = app.extensions["gateway.analytics.standing"]
    original = query.sql
    # A statement the database refuses, as a lost or locked database would.
    query.sql = original.replace("consent_records", "consent_records_gone")
    try:
        response = client.post("/api/v1/collect", json=body(consent=consent), headers=HEADERS)
    finally:
        query.sql = original
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "30"
    assert rows(app, "outbox_events") == []


def test_consent_older_than_a_material_change_means_aggregate(
    app: Flask, client: FlaskClient
) -> None:
    from datetime import date, timedelta

    from gateway.policy.models import PolicyVersion

    consent = token(app, cid="before-change")
    with app.app_context(), db.transaction() as session:
        session.add(
            PolicyVersion(
                number=2,
                effective_date=date.today() - timedelta(days=1),
                material=True,
                summary="New processor",
            )
        )
    response = client.post("/api/v1/collect", json=body(consent=consent), headers=HEADERS)
    assert response.get_json()["mode"] == "aggregate"


def test_collect_limit_is_checked_when_enabled_and_skipped_when_off(
    app_factory: AppFactory,
) -> None:
    limited = app_factory(RATELIMIT_ENABLED=True)
    response = limited.test_client().post("/api/v1/collect", json=body(), headers=HEADERS)
    assert response.status_code == 202
    # The route's own declared limit was evaluated for this request.
    assert response.headers["X-RateLimit-Limit"] == "1200"
    assert int(response.headers["X-RateLimit-Remaining"]) == 1199
    unlimited = app_factory(RATELIMIT_ENABLED=False)
    response = unlimited.test_client().post("/api/v1/collect", json=body(), headers=HEADERS)
    assert response.status_code == 202
    assert "X-RateLimit-Limit" not in response.headers


def test_collect_answers_carry_the_security_headers_and_count(
    app: Flask, client: FlaskClient
) -> None:
    from gateway.metrics import HTTP_REQUESTS

    def counted() -> float:
        value = HTTP_REQUESTS.labels("analytics.collect", "POST", "202")._value.get()
        return float(value)

    before = counted()
    response = client.post("/api/v1/collect", json=body(), headers=HEADERS)
    assert response.status_code == 202
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "interest-cohort=()" in response.headers["Permissions-Policy"]
    # The deny-all CSP of non-HTML answers (no page policy), and no header twice.
    assert response.headers.getlist("Content-Security-Policy") == [NON_HTML_POLICY]
    assert len(response.headers.getlist("X-Content-Type-Options")) == 1
    assert counted() == before + 1


def test_policy_version_is_reread_once_its_cache_expires(app: Flask, client: FlaskClient) -> None:
    from datetime import date, timedelta

    from gateway.policy.models import PolicyVersion

    consent = token(app, cid="cached-policy")
    first = client.post("/api/v1/collect", json=body(consent=consent), headers=HEADERS)
    assert first.get_json()["mode"] == "event"
    with app.app_context(), db.transaction() as session:
        session.add(
            PolicyVersion(
                number=2,
                effective_date=date.today() - timedelta(days=1),
                material=True,
                summary="New processor",
            )
        )
    # A minute later (or in another worker) both caches are empty: the
    # material change is seen and the old consent no longer allows event mode.
    app.extensions["gateway.analytics.tokens"].clear()
    app.extensions["gateway.analytics.policy"].clear()
    after = client.post("/api/v1/collect", json=body(consent=consent), headers=HEADERS)
    assert after.get_json()["mode"] == "aggregate"
    assert app.extensions["gateway.analytics.policy"]["consent_version"][0] == 2


def test_chunked_body_over_the_limit_is_413(app: Flask, client: FlaskClient) -> None:
    """Without a Content-Length the body is read one byte past 64 KiB and refused,
    not cut to 64 KiB and accepted."""
    payload = json.dumps(body(page={"url": "https://hottelecom.example/", "title": "x" * 70_000}))
    response = client.post(
        "/api/v1/collect",
        input_stream=io.BytesIO(payload.encode()),
        content_type="application/json",
        headers={**HEADERS, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert rows(app, "aggregate_counts") == []


def test_junk_consent_strings_are_never_cached(app: Flask, client: FlaskClient) -> None:
    for index in range(20):
        junk = f"junk-{index}-" + "x" * 3000
        response = client.post("/api/v1/collect", json=body(consent=junk), headers=HEADERS)
        assert response.status_code == 202
        assert response.get_json()["mode"] == "aggregate"
    response = client.post("/api/v1/collect", json=body(consent="eyJ.bad.sig"), headers=HEADERS)
    assert response.get_json()["mode"] == "aggregate"
    assert app.extensions["gateway.analytics.tokens"] == {}


def test_valid_token_is_cached_by_a_short_hash(app: Flask, client: FlaskClient) -> None:
    consent = token(app)
    response = client.post("/api/v1/collect", json=body(consent=consent), headers=HEADERS)
    assert response.get_json()["mode"] == "event"
    cache = app.extensions["gateway.analytics.tokens"]
    assert len(cache) == 1
    (key,) = cache
    assert isinstance(key, bytes)
    assert len(key) == 16
    assert consent.encode() not in key


def test_one_beacon_of_repeated_hits_counts_once(app: Flask, client: FlaskClient) -> None:
    """Five identical page views in one beacon are one visit, not k = 5."""
    page = {"url": "https://hottelecom.example/profile/someone"}
    events = [{"name": "page_view"}] * 5
    response = client.post("/api/v1/collect", json=body(page=page, events=events), headers=HEADERS)
    assert response.status_code == 202
    assert response.get_json()["accepted"] == 5
    counts = rows(app, "aggregate_counts")
    assert sum(row["count"] for row in counts) == 1


def test_page_of_a_foreign_host_is_dropped(client: FlaskClient) -> None:
    page = {"url": "https://89161234567.hottelecom.example/tariffs"}
    response = client.post("/api/v1/collect", json=body(page=page), headers=HEADERS)
    assert response.get_json()["reasons"] == {"foreign_page_host": 1}


def test_gtag_hit_with_what_used_to_leak_reaches_google_without_it(
    app: Flask, client: FlaskClient
) -> None:
    query = urlencode(
        {
            **GTAG_SHARED,
            "gcs": "G101",
            "dt": "Смирнова Ольга Игоревна, пр-т Мира, д. 12, кв. 3",
            "dr": "https://ivanpetrov1985.blogspot.example/post",
        }
    )
    lines = "\r\n".join(
        [
            "en=click&ep.link_url="
            + quote(
                "https://hottelecom.example/confirm?session=abcdefghijklmnopqrstuvwxyz"
                "&login=ivanpetrov85",
                safe="",
            )
            + "&ep.outbound="
            + quote("https://vk.com/id123456", safe="")
            + "&ep.search_term="
            + quote("ivan.petrov＠mail.ru", safe="")
            + "&ep.useremail=x&ep.pochta=y&ep.msclkid=z",
            "en=ivan_petrov_mail_ru",
        ]
    )
    response = client.post(
        f"/g/collect?{query}", data=lines, content_type="text/plain;charset=UTF-8", headers=HEADERS
    )
    assert response.status_code == 204
    outbox = [json.loads(r["event_json"]) for r in rows(app, "outbox_events")]
    (click,) = (e["params"] for e in outbox if e["name"] == "click")
    assert click["link_url"] == "https://hottelecom.example/confirm"
    assert click["outbound"] == "https://vk.com"
    assert click["search_term"] == "[email]"
    assert click["page_title"] == "[name], [address]"
    assert click["page_referrer"] == "https://blogspot.example"
    assert not {"useremail", "pochta", "msclkid"} & set(click)
    assert "ivan_petrov_mail_ru" not in [e["name"] for e in outbox]
    everything = dump_everything(app)
    for leaked in (
        "abcdefghijklmnop",
        "ivanpetrov85",
        "id123456",
        "Ольга",
        "Мира",
        "ivanpetrov1985",
    ):
        assert leaked not in everything
