"""Bots both ways: real browsers kept whatever their string, automation and hosting dropped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask

from gateway.geo import asn, close_readers, from_hosting, hosting_asns, locate
from gateway.useragent import describe
from tests.conftest import DESKTOP_UA, AppFactory
from tests.test_collect import GTAG_SHARED, ORIGIN, body, rows, token

HEADERS = {"User-Agent": DESKTOP_UA, "Origin": ORIGIN}
CLOUD_IP = "3.120.0.10"  # placed in AS16509 (Amazon) below
HOME_IP = "81.200.10.20"  # placed in a home provider's AS below


@pytest.mark.parametrize(
    ("ua", "family"),
    [
        (
            "Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en) "
            "Presto/2.5.25 Version/10.54",
            "Opera Mini",
        ),
        ("Opera/9.80 (Windows NT 6.1; WOW64) Presto/2.12.388 Version/12.18", "Opera"),
        (
            "Opera/9.80 (Android; Opera Mini/36.2.2254/119.132; U; id) Presto/2.12.423 "
            "Version/12.16",
            "Opera Mini",
        ),
    ],
)
def test_browsers_without_mozilla_prefix_are_people(ua: str, family: str) -> None:
    facts = describe(ua)
    assert facts.bot_reason is None
    assert facts.browser_family == family


@pytest.mark.parametrize(
    "ua",
    [
        "Dalvik/2.1.0 (Linux; U; Android 11; SM-A515F Build/RP1A.200720.012)",
        "Opera/9.80",
        "Java/1.8.0_151",
        "okhttp/4.9.0",
        "Go-http-client/1.1",
    ],
)
def test_app_runtimes_and_bare_names_are_still_dropped(ua: str) -> None:
    assert describe(ua).bot_reason is not None


def test_opera_presto_is_counted_over_http(app: Flask) -> None:
    ua = "Opera/9.80 (Windows NT 6.1; WOW64) Presto/2.12.388 Version/12.18"
    answer = (
        app.test_client()
        .post("/api/v1/collect", json=body(), headers={**HEADERS, "User-Agent": ua})
        .get_json()
    )
    assert answer["accepted"] == 1
    assert answer["reasons"] == {}


@pytest.mark.parametrize(
    "header",
    [
        {"Sec-Purpose": "prefetch"},
        {"Sec-Purpose": "prefetch;prerender"},
        {"Purpose": "prefetch"},
        {"X-Purpose": "preview"},
    ],
)
def test_prefetch_hits_are_dropped_with_a_reason(app: Flask, header: dict[str, str]) -> None:
    client = app.test_client()
    answer = client.post(
        "/api/v1/collect",
        json=body(consent=token(app), events=[{"name": "page_view"}, {"name": "click"}]),
        headers={**HEADERS, **header},
    ).get_json()
    assert answer == {"accepted": 0, "dropped": 2, "mode": "event", "reasons": {"prefetch": 2}}
    assert rows(app, "outbox_events") == []
    assert rows(app, "aggregate_counts") == []
    query = urlencode({**GTAG_SHARED, "gcs": "G111", "en": "page_view"})
    gtag = client.get(f"/g/collect?{query}", headers={**HEADERS, **header})
    assert gtag.status_code == 204
    assert rows(app, "outbox_events") == []
    assert rows(app, "aggregate_counts") == []


def test_tracker_reported_webdriver_is_dropped(app: Flask) -> None:
    client = app.test_client()
    answer = client.post(
        "/api/v1/collect", json=body(consent=token(app), webdriver=True), headers=HEADERS
    ).get_json()
    assert answer["accepted"] == 0
    assert answer["reasons"] == {"webdriver": 1}
    assert rows(app, "outbox_events") == []
    assert rows(app, "aggregate_counts") == []
    # Anything but true is no claim of automation.
    for value in (False, "true", 1, None):
        answer = client.post(
            "/api/v1/collect", json=body(webdriver=value), headers=HEADERS
        ).get_json()
        assert answer["accepted"] == 1, value


def test_the_tracker_reports_navigator_webdriver() -> None:
    script = (Path(__file__).parents[1] / "static/consent/banner.js").read_text()
    assert "if (nav.webdriver) body.webdriver = true;" in script


@pytest.fixture
def asn_db(tmp_path: Path) -> Iterator[str]:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, database_type="GeoLite2-ASN", ipv4_compatible=True)
    writer.insert_network(
        IPSet(["3.120.0.0/14"]),
        {"autonomous_system_number": 16509, "autonomous_system_organization": "AMAZON-02"},
    )
    writer.insert_network(
        IPSet(["81.200.10.0/24"]),
        {"autonomous_system_number": 8402, "autonomous_system_organization": "Home ISP"},
    )
    path = tmp_path / "asn.mmdb"
    writer.to_db_file(str(path))
    yield str(path)
    close_readers()


@pytest.fixture
def country_db(tmp_path: Path) -> Iterator[str]:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, database_type="GeoLite2-Country", ipv4_compatible=True)
    writer.insert_network(IPSet(["81.200.10.0/24"]), {"country": {"iso_code": "RU"}})
    path = tmp_path / "country.mmdb"
    writer.to_db_file(str(path))
    yield str(path)
    close_readers()


def test_asn_lookup_and_hosting_list(asn_db: str) -> None:
    assert asn(asn_db, CLOUD_IP) == 16509
    assert asn(asn_db, HOME_IP) == 8402
    assert asn(asn_db, "10.0.0.1") is None
    assert asn(asn_db, "not an address") is None
    assert asn("", CLOUD_IP) is None
    assert from_hosting(asn_db, CLOUD_IP)
    assert not from_hosting(asn_db, HOME_IP)
    assert {16509, 396982, 8075, 14061, 24940, 16276, 49505, 200350} <= hosting_asns()
    assert 8402 not in hosting_asns()


def test_country_database_through_geoip2(country_db: str, asn_db: str) -> None:
    from gateway.geo import Location

    assert locate(country_db, HOME_IP) == Location("RU", "")
    assert locate(country_db, CLOUD_IP) is None
    # An ASN database gives no location, and a country database no ASN.
    assert locate(asn_db, HOME_IP) is None
    assert asn(country_db, HOME_IP) is None


def test_hosting_networks_are_dropped_with_a_reason(app_factory: AppFactory, asn_db: str) -> None:
    app = app_factory(GEOIP_ASN_DB=asn_db)
    client = app.test_client()

    def send(address: str) -> Any:
        return client.post(
            "/api/v1/collect",
            json=body(),
            headers=HEADERS,
            environ_base={"REMOTE_ADDR": address},
        ).get_json()

    assert send(CLOUD_IP)["reasons"] == {"hosting_network": 1}
    assert send(HOME_IP)["accepted"] == 1
    assert len(rows(app, "aggregate_counts")) == 1
