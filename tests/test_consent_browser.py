"""The banner in a real Chromium: on the demo page and on a host page of another origin."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response

from gateway.consent.models import ConsentRecord
from tests.conftest import DESKTOP_UA, TEST_SITES_TOML, AppFactory, LiveServer
from tests.consent_helpers import decide_in_page, publish, records, screenshot, serious_findings

pytestmark = pytest.mark.browser


# Counts every layout shift from the first paint on.
CLS_OBSERVER = """
window.__cls = 0;
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__cls += entry.value;
}).observe({type: 'layout-shift', buffered: true});
"""

HOST_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>Host shop page</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style nonce="n0nce">button {{ background: lime !important; font-size: 40px; }}
* {{ font-family: serif; color: green; }}</style>
<script nonce="n0nce">window.dataLayer = []; function gtag() {{ dataLayer.push(arguments); }}
gtag('consent', 'default', {{analytics_storage: 'denied'}});
window.changes = [];
window.HotConsent = [['on', 'change', c => window.changes.push(c)]];</script>
</head><body><main><h1>HotTelecom partner shop</h1><p>Tariffs and devices.</p>
<button type="button" data-hc-open>Cookies</button></main>
<script src="{gateway}/c/hottelecom.js" async></script></body></html>"""


@dataclass
class Setup:
    app: Flask
    gateway: LiveServer
    host: LiveServer
    beacons: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def setup(
    app_factory: AppFactory,
    live_server_factory: Callable[..., LiveServer],
    tmp_path: Path,
) -> Setup:
    host_app = Flask("host_site")
    host = live_server_factory(host_app, host="127.0.0.2")
    sites = tmp_path / "browser-sites.toml"
    sites.write_text(
        TEST_SITES_TOML.replace(
            'origins = ["https://hottelecom.example", "http://localhost"]',
            f'origins = ["https://hottelecom.example", "http://localhost", "{host.url}"]',
        ),
        encoding="utf-8",
    )
    app = app_factory(SITES_FILE=str(sites))
    gateway = live_server_factory(app)

    @host_app.get("/")
    @host_app.get("/ru")
    def host_page() -> Response:
        from flask import request

        lang = "ru" if request.path == "/ru" else "en"
        response = Response(HOST_PAGE.format(lang=lang, gateway=gateway.url))
        # A strict CSP: the banner must work without 'unsafe-inline'.
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src 'nonce-n0nce' {gateway.url}; "
            f"style-src 'nonce-n0nce'; connect-src {gateway.url}; img-src 'self'"
        )
        return response

    return Setup(app, gateway, host)


def _context(browser: Any, **options: Any) -> Any:
    return browser.new_context(user_agent=DESKTOP_UA, **options)


def _watch(page: Any, setup: Setup) -> list[Any]:
    """Collect consent POST bodies and analytics beacons the page sends."""
    posts: list[Any] = []

    def on_request(request: Any) -> None:
        if request.url.endswith("/api/v1/collect"):
            setup.beacons.append(
                {"body": json.loads(request.post_data), "type": request.headers["content-type"]}
            )
        elif request.url.endswith("/api/v1/consent") and request.method == "POST":
            posts.append(json.loads(request.post_data))

    page.on("request", on_request)
    page.on("pageerror", lambda exc: pytest.fail(f"page error: {exc}"))
    return posts


def _bar(page: Any) -> Any:
    return page.locator("hot-consent .bar")


def _modal(page: Any) -> Any:
    return page.locator("hot-consent .back")


def _state(page: Any) -> Any:
    return page.evaluate("() => window.HotConsent.get()")


def test_accept_on_demo_survives_reload(browser: Any, setup: Setup) -> None:
    context = _context(browser, locale="en-US")
    page = context.new_page()
    posts = _watch(page, setup)
    page.goto(setup.gateway.url + "/demo")
    dialog = page.get_by_role("dialog", name="Cookies and your privacy")
    dialog.wait_for()
    screenshot(page, "banner-en")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/consent")) as info:
        page.get_by_role("button", name="Accept all").dblclick()
    made = info.value.json()
    page.locator("hot-consent .fab").wait_for()
    assert len(posts) == 1  # a double click makes one decision
    assert posts[-1]["choices"] == {"necessary": True, "analytics": True, "marketing": True}
    assert posts[-1]["language"] == "en"
    assert "token" not in posts[-1]
    assert _bar(page).is_hidden()
    assert page.locator("hot-consent .fab").is_visible()
    cookie = next(c for c in context.cookies() if c["name"] == "hc_consent")
    assert cookie["value"] == made["token"]
    assert cookie["sameSite"] == "Lax"
    assert cookie["secure"] is False  # plain http here; https pages get Secure
    assert cookie["expires"] > 0

    page.reload()
    page.locator("hot-consent .fab").wait_for()
    assert _bar(page).is_hidden()
    state = _state(page)
    assert state["consentId"] == made["consent_id"]
    assert state["choices"]["analytics"] is True
    [record] = records(setup.app)
    assert (record.kind, record.source, record.consent_id) == (
        "accept_all",
        "banner",
        made["consent_id"],
    )
    context.close()


def test_reject_on_a_foreign_host_page(browser: Any, setup: Setup) -> None:
    context = _context(browser, locale="en-US")
    page = context.new_page()
    posts = _watch(page, setup)
    page.goto(setup.host.url + "/ru")
    page.get_by_role("dialog", name="Cookie и ваша конфиденциальность").wait_for()
    screenshot(page, "banner-ru-host")
    # The host's CSS does not reach into the banner.
    accept = page.get_by_role("button", name="Принять все")
    reject = page.get_by_role("button", name="Отклонить все")
    colour = accept.evaluate("b => getComputedStyle(b).backgroundColor")
    assert colour != "rgb(0, 255, 0)"
    assert accept.evaluate("b => getComputedStyle(b).fontSize") == "15px"
    # Accept and Reject are equally prominent.
    assert accept.bounding_box()["width"] == reject.bounding_box()["width"]  # type: ignore[index]
    assert accept.bounding_box()["height"] == reject.bounding_box()["height"]  # type: ignore[index]
    assert colour == reject.evaluate("b => getComputedStyle(b).backgroundColor")

    made = decide_in_page(page, "Отклонить все")
    assert posts[-1]["choices"] == {"necessary": True, "analytics": False, "marketing": False}
    assert posts[-1]["language"] == "ru"
    assert made["choices"]["analytics"] is False
    # The cookie lives on the host site, first-party.
    host_cookies = context.cookies(setup.host.url)
    assert [c["value"] for c in host_cookies if c["name"] == "hc_consent"] == [made["token"]]
    assert not [c for c in context.cookies(setup.gateway.url) if c["name"] == "hc_consent"]
    # Google Consent Mode v2 is told.
    updates = page.evaluate(
        "() => dataLayer.filter(a => a[0] === 'consent' && a[1] === 'update').map(a => a[2])"
    )
    assert updates[-1] == {
        "analytics_storage": "denied",
        "ad_storage": "denied",
        "ad_user_data": "denied",
        "ad_personalization": "denied",
    }

    # A listener queued before the script loaded heard the decision.
    page.wait_for_function("() => window.changes.length === 1")
    assert page.evaluate("() => window.changes[0].choices.analytics") is False

    page.reload()
    page.locator("hot-consent .fab").wait_for()
    assert _bar(page).is_hidden()
    assert _state(page)["consentId"] == made["consent_id"]
    # On a page with a decision already made, listeners hear it at once.
    page.wait_for_function("() => window.changes.length === 1")
    assert page.evaluate("() => window.changes[0].consentId") == made["consent_id"]
    [record] = records(setup.app)
    assert record.kind == "reject_all"
    assert record.language == "ru"
    context.close()


def test_customize_and_reopen(browser: Any, setup: Setup) -> None:
    context = _context(browser, locale="en-US")
    page = context.new_page()
    posts = _watch(page, setup)
    page.goto(setup.gateway.url + "/demo")
    page.get_by_role("button", name="Customize").click()
    modal = page.get_by_role("dialog", name="Cookie settings")
    modal.wait_for()
    screenshot(page, "preferences-en")
    necessary = page.get_by_label("Strictly necessary")
    assert necessary.is_checked()
    assert necessary.is_disabled()
    page.get_by_label("Analytics").check()
    first = decide_in_page(page, "Save choices")
    assert posts[-1]["choices"] == {"necessary": True, "analytics": True, "marketing": False}
    assert first["decision"] == "custom"

    page.reload()
    page.locator("hot-consent .fab").wait_for()
    # Any element with data-hc-open reopens the choices, showing the consent id.
    page.locator("main [data-hc-open]").click()
    modal.wait_for()
    assert page.get_by_label("Analytics").is_checked()
    assert not page.get_by_label("Marketing").is_checked()
    assert page.locator("hot-consent code").inner_text() == first["consent_id"]
    page.get_by_label("Analytics").uncheck()
    page.get_by_label("Marketing").check()
    second = decide_in_page(page, "Save choices")
    assert posts[-1]["token"] == first["token"]
    assert second["consent_id"] == first["consent_id"]
    assert second["decision"] == "change"

    page.reload()
    page.locator("hot-consent .fab").wait_for()
    assert _state(page)["choices"] == {"necessary": True, "analytics": False, "marketing": True}
    # The floating button and HotConsent.open() reopen too.
    page.locator("hot-consent .fab").click()
    modal.wait_for()
    page.keyboard.press("Escape")
    modal.wait_for(state="hidden")
    page.evaluate("() => HotConsent.open()")
    modal.wait_for()
    assert page.get_by_label("Marketing").is_checked()
    page.get_by_role("button", name="Close").click()
    modal.wait_for(state="hidden")
    assert [r.kind for r in records(setup.app)] == ["custom", "change"]
    context.close()


def _focused(page: Any) -> str:
    """What has focus: inside the banner's shadow root, its class or label."""
    return page.evaluate(
        """() => {
        const host = document.querySelector('hot-consent');
        const el = host && host.shadowRoot.activeElement;
        if (!el) return 'page:' + (document.activeElement || {}).tagName;
        const cls = el.className === 'b' ? '' : el.className;
        return el.getAttribute('data-c') || cls || el.textContent.trim();
    }"""
    )


def _tab_to(page: Any, target: str, limit: int = 15) -> None:
    seen = []
    for _ in range(limit):
        seen.append(_focused(page))
        if seen[-1] == target:
            return
        page.keyboard.press("Tab")
    pytest.fail(f"Tab never reached {target!r} (went {seen!r})")


def test_keyboard_only(browser: Any, setup: Setup) -> None:
    context = _context(browser, locale="en-US")
    page = context.new_page()
    posts = _watch(page, setup)
    page.goto(setup.gateway.url + "/demo")
    _bar(page).wait_for()
    assert _focused(page) == "bar"  # focus moved into the dialog
    _tab_to(page, "Customize")
    page.keyboard.press("Enter")
    _modal(page).wait_for()
    assert _focused(page) == "analytics"
    # Focus is visible.
    outline = page.evaluate(
        "() => getComputedStyle(document.querySelector('hot-consent').shadowRoot.activeElement)"
        ".outlineStyle"
    )
    assert outline == "solid"
    page.keyboard.press("Space")
    # Focus stays inside the open dialog.
    for _ in range(12):
        page.keyboard.press("Tab")
        assert not _focused(page).startswith("page:")
        assert _focused(page) != "bar"
    # Escape closes the second layer and returns to the first.
    page.keyboard.press("Escape")
    _modal(page).wait_for(state="hidden")
    assert _focused(page) == "bar"
    _tab_to(page, "Customize")
    page.keyboard.press("Enter")
    _modal(page).wait_for()
    assert (
        page.evaluate(
            "() => document.querySelector('hot-consent').shadowRoot.querySelector('#hc-analytics')"
            ".checked"
        )
        is False
    )
    page.keyboard.press("Space")
    _tab_to(page, "Save choices")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/consent")):
        page.keyboard.press("Enter")
    assert posts[-1]["choices"]["analytics"] is True
    assert posts[-1]["choices"]["marketing"] is False
    # Focus comes back to the page: the floating button to reopen.
    page.locator("hot-consent .fab").wait_for()
    assert _focused(page) == "fab"
    page.keyboard.press("Enter")
    _modal(page).wait_for()
    page.keyboard.press("Escape")
    _modal(page).wait_for(state="hidden")
    assert _focused(page) == "fab"
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violations(browser: Any, setup: Setup, scheme: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = _context(browser, locale="ru-RU", color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    page.goto(setup.host.url + "/ru")
    _bar(page).wait_for()
    page.wait_for_timeout(400)  # the fade-in ends, so colours are final
    assert serious_findings(axe.run(page)) == []
    page.get_by_role("button", name="Настроить").click()
    _modal(page).wait_for()
    page.wait_for_timeout(300)
    assert serious_findings(axe.run(page)) == []
    context.close()


def test_no_layout_shift(browser: Any, setup: Setup) -> None:
    context = _context(browser, locale="en-US")
    context.add_init_script(CLS_OBSERVER)
    page = context.new_page()
    for url in (setup.gateway.url + "/demo", setup.host.url + "/"):
        page.goto(url)
        _bar(page).wait_for()
        page.wait_for_timeout(500)
        page.get_by_role("button", name="Customize").click()
        _modal(page).wait_for()
        page.get_by_role("button", name="Accept all").last.click()
        page.locator("hot-consent .fab").wait_for()
        page.wait_for_timeout(300)
        assert page.evaluate("() => window.__cls") == 0
        page.reload()
        page.locator("hot-consent .fab").wait_for()
        page.wait_for_timeout(300)
        assert page.evaluate("() => window.__cls") == 0
    context.close()


def test_phone_width_and_dark_mode_screenshots(browser: Any, setup: Setup) -> None:
    for name, options in {
        "phone-ru": {"viewport": {"width": 375, "height": 740}, "locale": "ru-RU"},
        "dark-en": {"color_scheme": "dark", "locale": "en-US"},
    }.items():
        context = _context(browser, **options)
        page = context.new_page()
        page.goto(setup.gateway.url + "/demo")
        _bar(page).wait_for()
        box = _bar(page).bounding_box()
        viewport = page.viewport_size
        assert box["x"] >= 0  # type: ignore[index]
        assert box["x"] + box["width"] <= viewport["width"] + 0.5  # type: ignore[index]
        assert box["y"] + box["height"] <= viewport["height"] + 0.5  # type: ignore[index]
        page.wait_for_timeout(400)
        screenshot(page, name)
        buttons = page.locator("hot-consent .bar .b")
        widths = {round(buttons.nth(i).bounding_box()["width"]) for i in range(3)}  # type: ignore[index]
        assert len(widths) == 1  # same size on every width
        if name == "dark-en":
            background = _bar(page).evaluate("b => getComputedStyle(b).backgroundColor")
            assert background == "rgb(32, 33, 39)"
        context.close()


def _collect_stats(app: Flask) -> dict[tuple[str, str], int]:
    import sqlalchemy as sa

    from gateway.analytics.models import CollectStat
    from gateway.extensions import db

    with app.app_context():
        found = db.session.execute(
            sa.select(CollectStat.result, CollectStat.reason, CollectStat.count)
        )
        return {(result, reason): count for result, reason, count in found}


def test_tracker_reports_automation_and_the_gateway_drops_it(browser: Any, setup: Setup) -> None:
    """A page whose navigator.webdriver is set says so; its events are dropped, with a reason."""
    context = _context(browser, locale="en-US")
    context.add_init_script("Object.defineProperty(navigator, 'webdriver', {get: () => true})")
    page = context.new_page()
    _watch(page, setup)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/collect")) as info:
        page.goto(setup.host.url + "/")
    assert info.value.status == 202
    assert setup.beacons[0]["body"]["webdriver"] is True
    stats = _collect_stats(setup.app)
    assert set(stats) == {("dropped", "webdriver")}
    context.close()

    # A person's browser (navigator.webdriver false) sends no such flag and is counted.
    setup.beacons.clear()
    context = _context(browser, locale="en-US")
    page = context.new_page()
    _watch(page, setup)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/collect")) as info:
        page.goto(setup.host.url + "/")
    assert info.value.status == 202
    assert "webdriver" not in setup.beacons[0]["body"]
    # (The first page's leaving beacons may still add to its own reason.)
    counted = _collect_stats(setup.app)
    assert {key for key in counted if key[0] == "dropped"} == {("dropped", "webdriver")}
    assert sum(n for (result, _), n in counted.items() if result != "dropped") >= 1, counted
    context.close()


def test_tracker_beacons_carry_the_token_only_with_analytics_consent(
    browser: Any, setup: Setup
) -> None:
    context = _context(browser, locale="en-US")
    page = context.new_page()
    _watch(page, setup)
    page.goto(setup.host.url + "/?utm_source=mail")
    _bar(page).wait_for()
    page.wait_for_function("() => true")
    page.wait_for_timeout(300)
    first = setup.beacons[0]
    assert first["type"].startswith("text/plain")
    assert first["body"]["site"] == "hottelecom"
    assert first["body"]["events"] == [{"name": "page_view", "params": {}}]
    assert first["body"]["page"]["url"] == setup.host.url + "/?utm_source=mail"
    assert first["body"]["page"]["title"] == "Host shop page"
    assert "consent" not in first["body"]

    made = decide_in_page(page, "Accept all")
    setup.beacons.clear()
    page.evaluate("() => HotConsent.track('tariff_chosen', {plan: 'home-500'})")
    page.evaluate("() => history.pushState({}, '', '/tariffs')")
    page.wait_for_timeout(300)
    tracked = setup.beacons[0]["body"]
    # The page view of /tariffs (the engaged time of the page left may go just before it).
    viewed = next(
        b["body"] for b in setup.beacons[1:] if b["body"]["events"][0]["name"] == "page_view"
    )
    (event,) = tracked["events"]
    assert event["name"] == "tariff_chosen"
    assert event["params"]["plan"] == "home-500"
    # The time the page was visible and focused, measured by the tracker.
    assert event["params"].get("engagement_time_msec", 1) > 0
    assert tracked["consent"] == made["token"]
    assert viewed["events"][0]["name"] == "page_view"
    assert viewed["page"]["url"] == setup.host.url + "/tariffs"
    assert viewed["page"]["referrer"] == setup.host.url + "/?utm_source=mail"
    assert viewed["consent"] == made["token"]
    page.evaluate("() => history.back()")
    page.wait_for_timeout(300)
    assert setup.beacons[-1]["body"]["page"]["url"].endswith("/?utm_source=mail")

    # Refusing analytics: beacons go on (aggregate counts) but carry no token.
    page.evaluate("() => HotConsent.open()")
    page.get_by_label("Analytics").uncheck()
    decide_in_page(page, "Save choices")
    setup.beacons.clear()
    page.reload()
    page.locator("hot-consent .fab").wait_for()
    page.evaluate("() => HotConsent.track('after_refusal')")
    page.wait_for_timeout(300)
    assert [b["body"]["events"][0]["name"] for b in setup.beacons] == [
        "page_view",
        "after_refusal",
    ]
    assert all("consent" not in b["body"] for b in setup.beacons)
    context.close()


def test_global_privacy_control(browser: Any, setup: Setup) -> None:
    context = _context(browser, locale="en-US", extra_http_headers={"Sec-GPC": "1"})
    context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"
    )
    page = context.new_page()
    posts = _watch(page, setup)
    page.goto(setup.host.url + "/")
    note = page.locator("hot-consent .note")
    note.wait_for()
    assert "Global Privacy Control" in note.inner_text()
    assert _bar(page).is_hidden()
    screenshot(page, "gpc-en")
    assert posts[-1]["gpc"] is True
    [record] = records(setup.app)
    assert (record.kind, record.source) == ("gpc", "gpc")
    assert json.loads(record.choices or "{}")["analytics"] is False
    page.evaluate("() => HotConsent.open()")
    _modal(page).wait_for()
    assert page.get_by_label("Analytics").is_disabled()
    assert "Global Privacy Control" in _modal(page).inner_text()
    page.reload()
    page.locator("hot-consent .fab").wait_for()
    assert _state(page)["choices"]["analytics"] is False
    assert len(records(setup.app)) == 1
    context.close()


def test_reconsent_after_a_material_change(browser: Any, setup: Setup) -> None:
    publish(setup.app, 1, material=True, days_ago=30)
    context = _context(browser, locale="en-US")
    page = context.new_page()
    posts = _watch(page, setup)
    page.goto(setup.host.url + "/")
    first = decide_in_page(page, "Accept all")
    assert first["policy_version"] == 1

    publish(setup.app, 2, material=True, days_ago=0)
    # A fresh page (the script's 5-minute cache aside) sees version 2.
    page.close()
    page = context.new_page()
    _watch(page, setup)
    page.route(
        "**/c/hottelecom.js", lambda route: route.continue_(headers={"Cache-Control": "no-cache"})
    )
    page.goto(setup.host.url + "/")
    _bar(page).wait_for()
    assert _state(page)["choices"] == {"necessary": True}
    changed = page.get_by_role("link", name="What changed")
    assert (
        changed.get_attribute("href")
        == f"{setup.gateway.url}/privacy/diff/1/2?site=hottelecom&lang=en"
    )
    page.wait_for_timeout(400)
    screenshot(page, "reconsent-en")
    again = decide_in_page(page, "Accept all")
    assert again["consent_id"] == first["consent_id"]
    assert again["policy_version"] == 2
    assert again["decision"] == "change"

    # A non-material version only brings a dismissible notice.
    publish(setup.app, 3, material=False, days_ago=0)
    page.reload()
    note = page.locator("hot-consent .note")
    note.wait_for()
    assert _bar(page).is_hidden()
    assert "We have updated our privacy policy." in note.inner_text()
    link = note.get_by_role("link", name="What changed")
    assert (
        link.get_attribute("href")
        == f"{setup.gateway.url}/privacy/diff/2/3?site=hottelecom&lang=en"
    )
    note.get_by_role("button", name="Got it").click()
    note.wait_for(state="hidden")
    page.reload()
    page.locator("hot-consent .fab").wait_for()
    page.wait_for_timeout(200)
    assert note.is_hidden()
    kinds = [r.kind for r in records(setup.app)]
    assert kinds == ["accept_all", "change"]
    assert posts[0]["policy_version"] == 1
    assert isinstance(records(setup.app)[0], ConsentRecord)
    context.close()


def test_gpc_turned_on_after_consent_is_honoured(browser: Any, setup: Setup) -> None:
    context = _context(browser, locale="en-US")
    page = context.new_page()
    page.goto(setup.host.url + "/")
    made = decide_in_page(page, "Accept all")
    storage = context.storage_state()
    context.close()

    context = _context(
        browser, locale="en-US", storage_state=storage, extra_http_headers={"Sec-GPC": "1"}
    )
    context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"
    )
    page = context.new_page()
    _watch(page, setup)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/consent")) as info:
        page.goto(setup.host.url + "/")
    assert info.value.json()["consent_id"] == made["consent_id"]
    page.wait_for_function("() => HotConsent.get() && !HotConsent.get().choices.analytics")
    assert _bar(page).is_hidden()
    rows = records(setup.app)
    assert [(r.kind, r.source) for r in rows] == [("accept_all", "banner"), ("change", "gpc")]
    assert json.loads(rows[1].choices or "{}")["analytics"] is False
    # Marketing shares data with third parties too: GPC refuses it as well.
    assert json.loads(rows[1].choices or "{}")["marketing"] is False
    page.wait_for_timeout(200)
    assert all("consent" not in b["body"] for b in setup.beacons)
    context.close()


@pytest.mark.parametrize(
    "choices",
    [
        {"analytics": True},  # short: itsdangerous leaves it uncompressed
        {"analytics": True, "marketing": False, "necessary": True},  # deflated
    ],
)
def test_banner_reads_both_token_forms(
    browser: Any, setup: Setup, choices: dict[str, bool]
) -> None:
    from gateway.consent import chain
    from gateway.consent.tokens import ConsentClaims, issue_token
    from gateway.extensions import db
    from gateway.timeutil import utcnow

    # The proof of consent the banner asks for at load; the token only names it.
    recorded = {"necessary": True, "analytics": True, "marketing": False}
    with setup.app.app_context(), db.transaction() as session:
        chain.append(
            session,
            {
                "consent_id": "abcd-efgh-ijkl-mnop",
                "site": "hottelecom",
                "kind": "custom",
                "source": "banner",
                "choices": json.dumps(recorded, sort_keys=True, separators=(",", ":")),
                "policy_version": 1,
                "language": "en",
                "text_hash": "0" * 64,
                "browser_family": "Chrome",
            },
            utcnow(),
        )
    with setup.app.app_context():
        token = issue_token(ConsentClaims("abcd-efgh-ijkl-mnop", "hottelecom", choices, 1))
    context = _context(browser, locale="en-US")
    context.add_cookies([{"name": "hc_consent", "value": token, "url": setup.host.url}])
    page = context.new_page()
    page.goto(setup.host.url + "/")
    page.locator("hot-consent .fab").wait_for()
    assert _bar(page).is_hidden()
    state = _state(page)
    assert state["consentId"] == "abcd-efgh-ijkl-mnop"
    assert state["choices"] == recorded
    context.close()


def test_cookie_is_secure_on_https_pages(browser: Any, setup: Setup) -> None:
    """Host and gateway on https (served through Playwright's router to the live servers)."""
    context = _context(browser, locale="en-US")
    context.route(
        "https://hottelecom.example/",
        lambda route: route.fulfill(
            content_type="text/html",
            body=HOST_PAGE.format(lang="en", gateway="https://gateway.example"),
        ),
    )

    def to_gateway(route: Any) -> None:
        url = route.request.url.replace("https://gateway.example", setup.gateway.url)
        route.fulfill(response=route.fetch(url=url))

    context.route("https://gateway.example/**", to_gateway)
    page = context.new_page()
    page.goto("https://hottelecom.example/")
    made = decide_in_page(page, "Reject all")
    [cookie] = [
        c for c in context.cookies("https://hottelecom.example") if c["name"] == "hc_consent"
    ]
    assert cookie["value"] == made["token"]
    assert cookie["secure"] is True
    assert cookie["sameSite"] == "Lax"
    context.close()
