"""Banner → collect → forward, in a real Chromium, down to what Google receives."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from gateway.analytics.forwarding.fakega import FakeGA
from gateway.sites import parse_sites
from tests.conftest import DESKTOP_UA, TEST_SITES_TOML, AppFactory, LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture
def fake_ga() -> Iterator[FakeGA]:
    with FakeGA() as fake:
        yield fake


@pytest.fixture
def gateway(
    app_factory: AppFactory, fake_ga: FakeGA, live_server_factory: Callable[..., LiveServer]
) -> tuple[Flask, LiveServer]:
    app = app_factory(
        GA_ENDPOINT=fake_ga.url,
        AGGREGATE_MIN_COUNT=1,
        FORWARD_BACKOFF_BASE=0.01,
        FORWARD_BACKOFF_MAX=0.05,
        FORWARD_ONCE_DEADLINE=5,
    )
    server = live_server_factory(app)
    # The demo page is served by the gateway itself: its origin is the site's.
    app.extensions["gateway.sites"] = parse_sites(
        TEST_SITES_TOML.replace(
            'origins = ["https://hottelecom.example", "http://localhost"]',
            f'origins = ["https://hottelecom.example", "{server.url}"]',
        )
    )
    return app, server


def _beacons(page: Any) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    def on_response(response: Any) -> None:
        if response.url.endswith("/api/v1/collect"):
            sent.append({"body": json.loads(response.request.post_data), "status": response.status})

    page.on("response", on_response)
    return sent


def _wait_for(page: Any, condition: Callable[[], bool], what: str) -> None:
    for _ in range(100):
        if condition():
            return
        page.wait_for_timeout(50)
    pytest.fail(f"timed out waiting for {what}")


def test_consented_visit_reaches_google_only_as_anonymous_events(
    browser: Any, gateway: tuple[Flask, LiveServer], fake_ga: FakeGA
) -> None:
    app, server = gateway
    context = browser.new_context(user_agent=DESKTOP_UA, locale="en-US")
    page = context.new_page()
    beacons = _beacons(page)

    page.goto(server.url + "/demo?utm_source=newsletter&email=ivan@example.ru#account")
    page.get_by_role("dialog", name="Cookies and your privacy").wait_for()
    _wait_for(page, lambda: len(beacons) >= 1, "the first page_view")
    assert "consent" not in beacons[0]["body"]  # before any decision: no token

    with page.expect_response(lambda r: r.url.endswith("/api/v1/consent")) as decision:
        page.get_by_role("button", name="Accept all").click()
    consent_id = decision.value.json()["consent_id"]

    page.evaluate("() => window.HotConsent.track('tariff_chosen', {tariff: 'home-500'})")
    _wait_for(page, lambda: any("consent" in b["body"] for b in beacons), "a consented beacon")
    page.reload()
    _wait_for(page, lambda: len(beacons) >= 3, "the page_view after the reload")
    context.close()
    assert all(b["status"] == 202 for b in beacons), beacons

    result = app.test_cli_runner().invoke(args=["forward", "--once", "--flush"])
    assert result.exit_code == 0, result.output

    payloads = [r["body"] for r in fake_ga.accepted()]
    events = [(p, e) for p in payloads for e in p["events"]]
    consented = [(p, e) for p, e in events if "aggregated_count" not in e["params"]]
    aggregated = [(p, e) for p, e in events if "aggregated_count" in e["params"]]
    assert {e["name"] for _, e in consented} >= {"page_view", "tariff_chosen"}
    assert aggregated, "the visit before consent is only counted"

    client_ids = {p["client_id"] for p, _ in consented}
    assert len(client_ids) == 1
    [client_id] = client_ids
    assert re.fullmatch(r"\d+\.\d+", client_id)
    assert consent_id not in json.dumps(payloads)
    assert all(p["client_id"] != client_id for p, _ in aggregated)

    page_views = [e for _, e in consented if e["name"] == "page_view"]
    location = page_views[0]["params"]["page_location"]
    assert location == f"{server.url}/demo?utm_source=newsletter"  # no e-mail, no fragment
    assert "ivan" not in json.dumps(payloads)
    assert all(p.get("device", {}).get("browser") == "Chrome" for p, _ in consented)
