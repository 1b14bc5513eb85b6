"""In a real Chromium: the tracker's engaged time and sessions, enhanced measurement,
and a GA4 client nobody here wrote (@minimal-analytics/ga4 from npm) pointed at
/g/collect; everything forwarded to the local GA4 is valid and impersonal."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from gateway.analytics.forwarding.fakega import FakeGA
from gateway.analytics.forwarding.ga4 import (
    ENFORCE_RECOMMENDATIONS,
    check_request,
    forbidden_fields_in,
)
from gateway.sites import parse_sites
from tests.conftest import DESKTOP_UA, IN_CI, TEST_SITES_TOML, AppFactory, LiveServer
from tests.test_collect import rows

pytestmark = pytest.mark.browser

MINIMAL_GA4 = (
    Path(__file__).resolve().parent.parent
    / "node_modules"
    / "@minimal-analytics"
    / "ga4"
    / "dist"
    / "index.js"
)
SECRETS = ("ivan", "mail.ru", "9161234", "petrov", "8800555")


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
    app.extensions["gateway.sites"] = parse_sites(
        TEST_SITES_TOML.replace(
            'origins = ["https://hottelecom.example", "http://localhost"]',
            f'origins = ["https://hottelecom.example", "{server.url}"]\n'
            "enhanced_measurement = true",
        )
    )
    return app, server


def host_page(server: LiveServer, head: str = "") -> str:
    """A long HotTelecom page with an outbound link, a download and a phone number."""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Тарифы · звоните 8 800 555-35-35</title>{head}</head><body>
<h1>Tariffs</h1>
<p><a id="out" href="https://partner.example/offer?email=ivan%40mail.ru">Partner</a></p>
<p><a id="file" href="/docs/contract-12345678.pdf">Contract (PDF)</a></p>
<div style="height:4000px">long</div><p id="end">end</p>
<script>document.addEventListener('click', e => e.preventDefault());</script>
</body></html>"""


def serve(page: Any, url: str, html: str) -> None:
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=html))


def beacons(page: Any, path: str = "/api/v1/collect") -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    def on_request(request: Any) -> None:
        if path in request.url:
            data = request.post_data
            sent.append({"url": request.url, "body": json.loads(data) if data else None})

    page.on("request", on_request)
    return sent


def wait_for(page: Any, condition: Callable[[], bool], what: str) -> None:
    for _ in range(100):
        if condition():
            return
        page.wait_for_timeout(50)
    pytest.fail(f"timed out waiting for {what}")


def hide(page: Any) -> None:
    """What a browser does when the visitor switches tabs (headless pages never hide)."""
    page.evaluate(
        """() => {
        const hidden = {configurable: true, get: () => 'hidden'};
        Object.defineProperty(document, 'visibilityState', hidden);
        document.dispatchEvent(new Event('visibilitychange'));
    }"""
    )


def forwarded(app: Flask, fake_ga: FakeGA) -> list[dict[str, Any]]:
    result = app.test_cli_runner().invoke(args=["forward", "--once", "--flush"])
    assert result.exit_code == 0, result.output
    bodies = [r["body"] for r in fake_ga.accepted()]
    now = int(time.time() * 1_000_000)
    for body in bodies:
        assert check_request(body, now, behavior=ENFORCE_RECOMMENDATIONS) == [], body
        assert forbidden_fields_in(body) == []
    text = json.dumps(bodies, ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in text, (
            secret,
            text[max(0, text.find(secret) - 200) : text.find(secret) + 80],
        )
    return bodies


def test_the_tracker_measures_engaged_time_and_keeps_a_session_only_with_consent(
    browser: Any, gateway: tuple[Flask, LiveServer], fake_ga: FakeGA
) -> None:
    app, server = gateway
    context = browser.new_context(user_agent=DESKTOP_UA, locale="en-US")
    page = context.new_page()
    sent = beacons(page)
    serve(
        page,
        server.url + "/tariffs",
        host_page(server, f'<script src="{server.url}/c/hottelecom.js"></script>'),
    )
    page.goto(server.url + "/tariffs")
    page.get_by_role("dialog", name="Cookies and your privacy").wait_for()
    wait_for(page, lambda: len(sent) >= 1, "the first page view")
    assert "session_start" not in sent[0]["body"]
    assert page.evaluate("() => localStorage.getItem('hc_s')") is None

    page.get_by_role("button", name="Accept all").click()
    page.wait_for_timeout(1200)
    page.evaluate("() => HotConsent.track('tariff_chosen', {tariff: 'home-500'})")
    wait_for(page, lambda: any(b["body"].get("consent") for b in sent), "a consented beacon")
    chosen = next(b["body"] for b in sent if b["body"].get("consent"))
    (event,) = chosen["events"]
    # The time spent on the page, visible and focused, goes with the next event.
    assert event["params"]["engagement_time_msec"] >= 1000
    start = chosen["session_start"]
    assert abs(start - time.time()) < 60
    assert page.evaluate("() => localStorage.getItem('hc_s')").startswith(f"{start}.")

    page.wait_for_timeout(300)
    hide(page)
    wait_for(page, lambda: sent[-1]["body"]["events"][0]["name"] == "user_engagement", "leaving")
    leaving = sent[-1]["body"]
    assert leaving["events"][0]["params"]["engagement_time_msec"] >= 200
    assert leaving["session_start"] == start

    # 30 minutes without activity: the next event opens a new session.
    page.wait_for_timeout(1100)  # a new session start is another second
    old_start = int(time.time()) - 3600
    page.evaluate(
        f"() => localStorage.setItem('hc_s', '{old_start}.' + (Date.now() / 1e3 - 1801 | 0))"
    )
    page.evaluate("() => HotConsent.track('tariff_chosen', {tariff: 'home-100'})")
    wait_for(page, lambda: sent[-1]["body"]["events"][0]["name"] == "tariff_chosen", "a new one")
    assert sent[-1]["body"]["session_start"] > start
    assert sent[-1]["body"]["session_start"] != old_start

    # Withdrawing analytics removes the session start from the site at the next event.
    page.evaluate("() => HotConsent.open()")
    page.get_by_role("button", name="Reject all").last.click()
    page.wait_for_timeout(300)
    page.evaluate("() => HotConsent.track('after_refusal')")
    wait_for(page, lambda: sent[-1]["body"]["events"][0]["name"] == "after_refusal", "refusal")
    assert "consent" not in sent[-1]["body"]
    assert "session_start" not in sent[-1]["body"]
    assert page.evaluate("() => localStorage.getItem('hc_s')") is None
    context.close()

    events = [e for b in forwarded(app, fake_ga) for e in b["events"]]
    by_name: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        by_name.setdefault(e["name"], []).append(e)
    chosen_sessions = [e["params"]["session_id"] for e in by_name["tariff_chosen"]]
    assert len(set(chosen_sessions)) == 2
    assert by_name["page_engagement"][0]["params"]["engagement_time_msec"] >= 200


def test_enhanced_measurement_sends_scroll_clicks_downloads_and_search_without_personal_data(
    browser: Any, gateway: tuple[Flask, LiveServer], fake_ga: FakeGA
) -> None:
    app, server = gateway
    context = browser.new_context(user_agent=DESKTOP_UA, locale="en-US")
    page = context.new_page()
    sent = beacons(page)
    url = server.url + "/search"
    serve(
        page,
        url + "?q=*",
        host_page(server, f'<script src="{server.url}/c/hottelecom.js"></script>'),
    )
    page.goto(url + "?q=ivan%40mail.ru+тариф")
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_timeout(300)
    page.reload()  # the search results page again, now with consent
    wait_for(page, lambda: any(b["body"].get("consent") for b in sent), "a consented beacon")
    page.mouse.wheel(0, 5000)
    page.click("#out")
    page.click("#file")
    names = lambda: [e["name"] for b in sent for e in b["body"]["events"]]  # noqa: E731
    wait_for(
        page,
        lambda: {"view_search_results", "scroll", "click", "file_download"} <= set(names()),
        "the enhanced measurement events",
    )
    sent_params = {e["name"]: e.get("params", {}) for b in sent for e in b["body"]["events"]}
    assert sent_params["click"]["link_domain"] == "partner.example"
    assert "offer" not in json.dumps(sent_params["click"])  # the host only
    assert sent_params["file_download"]["file_extension"] == "pdf"
    assert sent_params["scroll"]["percent_scrolled"] == 90
    context.close()

    bodies = forwarded(app, fake_ga)
    consented = [b for b in bodies if "aggregated_count" not in b["events"][0]["params"]]
    events = {e["name"]: e["params"] for b in consented for e in b["events"]}
    assert events["click"]["link_domain"] == "partner.example"
    assert events["file_download"]["file_name"] == "/docs/:redacted"
    assert events["view_search_results"]["search_term"] == "[email] тариф"
    assert events["scroll"]["percent_scrolled"] == 90


def test_a_site_without_enhanced_measurement_gets_none_of_its_code(
    gateway: tuple[Flask, LiveServer],
) -> None:
    app, _server = gateway
    client = app.test_client()
    with_it = client.get("/c/hottelecom.js").get_data(as_text=True)
    assert "percent_scrolled" in with_it
    without = client.get("/c/shop.js").get_data(as_text=True)
    assert "percent_scrolled" not in without
    assert "file_download" not in without


@pytest.fixture
def minimal_ga4() -> str:
    if not MINIMAL_GA4.exists():
        if IN_CI:
            pytest.fail("node_modules is missing; .ci/run must run `npm ci`")
        pytest.skip("run `npm ci` for the third-party GA4 client")
    return MINIMAL_GA4.read_text(encoding="utf-8")


def test_a_third_party_ga4_client_works_against_the_gateway(
    browser: Any, gateway: tuple[Flask, LiveServer], fake_ga: FakeGA, minimal_ga4: str
) -> None:
    app, server = gateway
    context = browser.new_context(user_agent=DESKTOP_UA, locale="ru-RU")
    page = context.new_page()
    hits = beacons(page, "/g/collect")
    responses: list[int] = []
    page.on("response", lambda r: responses.append(r.status) if "/g/collect" in r.url else None)
    config = (
        "<script>window.minimalAnalytics = {trackingId: 'G-TEST000001', autoTrack: true,"
        f" analyticsEndpoint: '{server.url}/g/collect'}};</script>"
        f'<script src="{server.url}/vendor/minimal-ga4.js"></script>'
    )
    page.route(
        server.url + "/vendor/minimal-ga4.js",
        lambda route: route.fulfill(content_type="text/javascript", body=minimal_ga4),
    )
    landing = server.url + "/cabinet/ivan@mail.ru"
    serve(page, landing + "*", host_page(server, config))
    page.goto(landing + "?utm_source=newsletter&phone=89161234567")
    wait_for(page, lambda: len(hits) >= 1, "the page view hit")
    page.mouse.wheel(0, 5000)
    page.wait_for_timeout(600)  # the client debounces its scroll handler
    page.click("#out")
    page.click("#file")
    wait_for(page, lambda: len(hits) >= 4, "scroll, click and download hits")
    page.evaluate("() => window.dispatchEvent(new Event('beforeunload'))")
    wait_for(page, lambda: len(hits) >= 5, "the engagement hit")
    wait_for(page, lambda: len(responses) >= 5, "the answers")
    context.close()
    assert set(responses) == {204}, responses
    sent_names = [h["url"].split("en=", 1)[1].split("&", 1)[0] for h in hits]
    assert {"page_view", "scroll", "click", "file_download", "user_engagement"} <= set(sent_names)

    counted = {b["event_name"]: b for b in rows(app, "aggregate_counts")}
    assert {"page_view", "scroll", "click", "file_download", "page_engagement"} <= set(counted)
    assert counted["page_view"]["page_path"] == "/cabinet/:redacted"
    assert (counted["page_view"]["source"], counted["page_view"]["medium"]) == (
        "newsletter",
        "(not set)",
    )
    assert counted["page_engagement"]["engagement_msec"] > 0

    events = [e for b in forwarded(app, fake_ga) for e in b["events"]]
    assert {"page_view", "scroll", "click", "file_download", "page_engagement"} <= {
        e["name"] for e in events
    }
    for event in events:
        assert event["params"]["aggregated_count"] >= 1
        assert event["params"]["engagement_time_msec"] > 0
    # The client's own id and session never leave the gateway.
    client_ids = {h["url"].split("cid=", 1)[1].split("&", 1)[0] for h in hits}
    assert not any(cid in json.dumps(fake_ga.recorded) for cid in client_ids)
