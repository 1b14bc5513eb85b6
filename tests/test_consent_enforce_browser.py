"""What the banner enforces on a host page, in a real Chromium: blocked scripts and
embeds, declared cookies cleared on refusal, Google Consent Mode v2 in the right order."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response

from gateway.consent.views import BUNDLES_KEY
from gateway.sites import load_sites
from tests.conftest import DESKTOP_UA, TEST_SITES_TOML, AppFactory, LiveServer
from tests.consent_helpers import decide_in_page, records

pytestmark = pytest.mark.browser

COOKIES_TOML = """
[[sites.hottelecom.cookies]]
category = "analytics"
name = "_ga*"
provider = "Google Analytics"
expires = "2 years"
purpose = {ru = "Различает посетителей.", en = "Tells visitors apart."}

[[sites.hottelecom.cookies]]
category = "marketing"
name = "_gcl_au"
provider = "Google Ads"
expires = "90 days"
purpose = {ru = "Конверсии рекламы.", en = "Ad conversions."}
"""

# The banner tag first and without async, then gtag's snippet: the order the README shows.
HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Host page</title>
<script src="{gateway}/c/hottelecom.js"></script>
<script nonce="n0nce">window.dataLayer = window.dataLayer || [];
function gtag() {{ dataLayer.push(arguments); }}
gtag('js', new Date()); gtag('config', 'G-TEST000001');
window.ran = [];</script>
</head><body><main><h1>Shop</h1>
<script type="text/plain" data-category="analytics" nonce="n0nce">window.ran.push('inline')</script>
<script type="text/plain" data-category="marketing" nonce="n0nce" src="/ext.js"></script>
<script type="text/plain" data-category="necessary" nonce="n0nce">window.ran.push('necessary')
</script>
<iframe data-category="marketing" data-src="/frame" title="Video"></iframe>
<img data-category="analytics" data-src="/pixel.gif" alt="">
</main></body></html>"""


@dataclass
class Setup:
    app: Flask
    gateway: LiveServer
    host: LiveServer


@pytest.fixture
def setup(
    app_factory: AppFactory, live_server_factory: Callable[..., LiveServer], tmp_path: Path
) -> Setup:
    host_app = Flask("enforced_host")
    host = live_server_factory(host_app, host="127.0.0.2")
    sites = tmp_path / "sites.toml"
    sites.write_text(
        TEST_SITES_TOML.replace(
            'origins = ["https://hottelecom.example", "http://localhost"]',
            f'origins = ["https://hottelecom.example", "http://localhost", "{host.url}"]',
        )
        + COOKIES_TOML,
        encoding="utf-8",
    )
    app = app_factory(SITES_FILE=str(sites))
    gateway = live_server_factory(app)

    @host_app.get("/")
    def page() -> Response:
        response = Response(HOST_PAGE.format(gateway=gateway.url))
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src 'nonce-n0nce' 'self' {gateway.url}; "
            f"connect-src {gateway.url}; img-src 'self'; frame-src 'self'"
        )
        return response

    @host_app.get("/ext.js")
    def ext() -> Response:
        return Response("window.ran.push('external')", mimetype="text/javascript")

    @host_app.get("/frame")
    def frame() -> Response:
        return Response("<p>framed</p>")

    @host_app.get("/pixel.gif")
    def pixel() -> Response:
        return Response(b"GIF89a", mimetype="image/gif")

    return Setup(app, gateway, host)


def _page(browser: Any, setup: Setup, storage: Any = None) -> tuple[Any, Any]:
    context = browser.new_context(user_agent=DESKTOP_UA, locale="en-US", storage_state=storage)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: "Content Security Policy" in m.text and errors.append(m.text))
    page.goto(setup.host.url + "/")
    page.wait_for_function("() => window.HotConsent && HotConsent.v")
    page.errors = errors
    return context, page


def test_blocked_elements_wait_for_their_category_and_run_once(browser: Any, setup: Setup) -> None:
    context, page = _page(browser, setup)
    page.wait_for_selector(".hc-blocked")
    # Only the necessary one has run; nothing else is fetched or executed before a decision.
    assert page.evaluate("() => window.ran") == ["necessary"]
    assert page.evaluate("() => document.querySelector('iframe').getAttribute('src')") is None
    assert page.evaluate("() => document.querySelector('img').getAttribute('src')") is None
    assert "Marketing" in page.locator(".hc-blocked").inner_text()

    decide_in_page(page, "Accept all")
    page.wait_for_function("() => window.ran.length == 3")
    assert sorted(page.evaluate("() => window.ran")) == ["external", "inline", "necessary"]
    assert page.evaluate("() => document.querySelector('iframe').getAttribute('src')") == "/frame"
    assert page.evaluate("() => document.querySelector('img').getAttribute('src')") == "/pixel.gif"
    assert page.locator(".hc-blocked").count() == 0
    # Elements added later are released too, and nothing runs twice.
    page.evaluate(
        """() => { const s = document.createElement('script'); s.type = 'text/plain';
        s.dataset.category = 'analytics'; s.nonce = 'n0nce'; s.text = "window.ran.push('late')";
        document.body.append(s); }"""
    )
    page.wait_for_function("() => window.ran.includes('late')")
    page.wait_for_timeout(200)
    assert sorted(page.evaluate("() => window.ran")) == [
        "external",
        "inline",
        "late",
        "necessary",
    ]
    assert page.errors == []  # the strict CSP let every released script run

    storage = context.storage_state()
    context.close()
    context, page = _page(browser, setup, storage)
    page.wait_for_function("() => window.ran.length == 3")
    page.wait_for_timeout(200)
    assert sorted(page.evaluate("() => window.ran")) == ["external", "inline", "necessary"]
    context.close()


def test_placeholder_allows_the_category_of_a_blocked_iframe(browser: Any, setup: Setup) -> None:
    context, page = _page(browser, setup)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/consent")):
        page.locator(".hc-blocked button").click()
    page.wait_for_function("() => document.querySelector('iframe').getAttribute('src')")
    assert page.evaluate("() => HotConsent.get().choices") == {
        "necessary": True,
        "analytics": False,
        "marketing": True,
    }
    assert records(setup.app)[-1].choices is not None
    assert "inline" not in page.evaluate("() => window.ran")
    context.close()


def test_refusal_clears_declared_cookies_only(browser: Any, setup: Setup) -> None:
    context, page = _page(browser, setup)
    decide_in_page(page, "Accept all")
    page.evaluate(
        "() => { for (const c of ['_ga=1', '_ga_ABC=2', '_gcl_au=3', 'theme=dark'])"
        " document.cookie = c + ';path=/'; }"
    )
    page.get_by_role("button", name="Cookie settings").click()
    page.locator("hot-consent #hc-analytics").uncheck()
    decide_in_page(page, "Save choices")
    page.wait_for_function("() => !document.cookie.includes('_ga=')")
    names = {c["name"] for c in context.cookies()}
    assert {"_ga", "_ga_ABC"}.isdisjoint(names)
    assert {"_gcl_au", "theme", "hc_consent"} <= names
    _decide_all_rejected(page)
    names = {c["name"] for c in context.cookies()}
    assert "_gcl_au" not in names
    assert "theme" in names
    context.close()


def _decide_all_rejected(page: Any) -> None:
    page.get_by_role("button", name="Cookie settings").click()
    decide_in_page(page, "Reject all")
    page.wait_for_function("() => !document.cookie.includes('_gcl_au')")


CONSENT_LOG = """() => dataLayer.map(a => a.event ? ['event', a.event, a.hot_consent]
  : [a[0], a[1], a[2]]).filter(a => a[0] == 'consent' || a[0] == 'config' || a[0] == 'event')"""


def test_consent_mode_default_and_update_come_before_config(browser: Any, setup: Setup) -> None:
    context, page = _page(browser, setup)
    log = page.evaluate(CONSENT_LOG)
    assert log[0] == [
        "consent",
        "default",
        {
            "analytics_storage": "denied",
            "ad_storage": "denied",
            "ad_user_data": "denied",
            "ad_personalization": "denied",
            "wait_for_update": 500,
        },
    ]
    assert log[1][0] == "config"
    page.get_by_role("button", name="Customize").click()
    page.locator("hot-consent #hc-analytics").check()
    decide_in_page(page, "Save choices")
    page.wait_for_function("() => dataLayer.some(a => a.event == 'hot_consent_update')")
    log = page.evaluate(CONSENT_LOG)
    assert [
        "consent",
        "update",
        {
            "analytics_storage": "granted",
            "ad_storage": "denied",
            "ad_user_data": "denied",
            "ad_personalization": "denied",
        },
    ] in log
    assert log[-1] == [
        "event",
        "hot_consent_update",
        {"necessary": True, "analytics": True, "marketing": False},
    ]
    assert page.evaluate(
        "() => dataLayer.some(a => a[0] == 'set' && a[1] == 'ads_data_redaction' && a[2] === true)"
    )
    storage = context.storage_state()
    context.close()

    # A returning visitor: the update stands before gtag's config, read synchronously.
    context, page = _page(browser, setup, storage)
    log = page.evaluate(CONSENT_LOG)
    assert [entry[:2] for entry in log[:3]] == [
        ["consent", "default"],
        ["consent", "update"],
        ["config", "G-TEST000001"],
    ]
    assert log[1][2]["analytics_storage"] == "granted"
    context.close()


SUBDOMAIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{name}</title>
<script src="{gateway}/c/hottelecom.js"></script></head>
<body><h1>{name}</h1></body></html>"""


def test_one_consent_for_every_subdomain_of_the_cookie_domain(
    browser: Any,
    app_factory: AppFactory,
    live_server_factory: Callable[..., LiveServer],
    tmp_path: Path,
) -> None:
    host_app = Flask("subdomains")
    host = live_server_factory(host_app)
    www, shop = (f"http://{sub}.hottelecom.test:{host.port}" for sub in ("www", "shop"))
    sites = tmp_path / "sites.toml"
    sites.write_text(
        TEST_SITES_TOML.replace(
            'origins = ["https://hottelecom.example", "http://localhost"]',
            f'origins = ["{www}", "{shop}"]\ncookie_domain = "hottelecom.test"',
        )
        + COOKIES_TOML,
        encoding="utf-8",
    )
    app = app_factory(SITES_FILE=str(sites))
    gateway = live_server_factory(app)

    @host_app.get("/")
    def subdomain_page() -> Response:
        from flask import request

        return Response(SUBDOMAIN_PAGE.format(name=request.host, gateway=gateway.url))

    context = browser.new_context(user_agent=DESKTOP_UA, locale="en-US")
    page = context.new_page()
    page.goto(www + "/")
    page.wait_for_function("() => window.HotConsent && HotConsent.v")
    decide_in_page(page, "Accept all")
    made = page.evaluate("() => HotConsent.get()")
    page.evaluate("() => { document.cookie = '_ga=1;path=/;domain=hottelecom.test'; }")

    page.goto(shop + "/")
    page.wait_for_function("() => window.HotConsent && HotConsent.get()")
    # The same consent on the other subdomain, without asking again.
    assert page.evaluate("() => HotConsent.get()") == made
    assert page.locator("hot-consent .bar").is_hidden()
    cookie = next(c for c in context.cookies() if c["name"] == "hc_consent")
    assert cookie["domain"] == ".hottelecom.test"

    # A refusal on shop. clears _ga set for the whole domain.
    page.get_by_role("button", name="Cookie settings").click()
    decide_in_page(page, "Reject all")
    page.wait_for_function("() => !document.cookie.includes('_ga=')")
    assert "_ga" not in {c["name"] for c in context.cookies()}
    assert len({r.consent_id for r in records(app)}) == 1
    context.close()


def test_withdrawal_made_elsewhere_is_known_at_the_next_page_load(
    browser: Any, setup: Setup
) -> None:
    context, page = _page(browser, setup)
    decide_in_page(page, "Accept all")
    page.wait_for_function("() => window.ran.length == 3")
    state = page.evaluate("() => HotConsent.get()")
    token = next(c["value"] for c in context.cookies() if c["name"] == "hc_consent")
    # Withdrawn through the API, from somewhere else than this browser.
    gone = setup.app.test_client().delete(
        f"/api/v1/consent/{state['consentId']}", headers={"Authorization": f"Bearer {token}"}
    )
    assert gone.status_code == 200
    page.reload()
    page.wait_for_function("() => HotConsent.get() && HotConsent.get().withdrawn")
    assert page.evaluate("() => HotConsent.get().choices") == {
        "necessary": True,
        "analytics": False,
        "marketing": False,
    }
    page.wait_for_timeout(300)
    # Blocked scripts stay blocked, although the cookie mirror still said "granted".
    assert page.evaluate("() => window.ran") == ["necessary"]
    updates = page.evaluate(
        "() => dataLayer.filter(a => a[0] == 'consent' && a[1] == 'update').map(a => a[2])"
    )
    assert updates[-1]["analytics_storage"] == "denied"
    assert updates[-1]["ad_storage"] == "denied"
    context.close()


HOST_LISTENERS = """window.log = [];
window.HotConsent = [
  ['on', 'shown', what => log.push('shown ' + what)],
  ['on', 'hidden', what => log.push('hidden ' + what)],
  ['on', 'change', c => log.push('change ' + c.choices.marketing)],
];"""


def test_host_hears_shown_hidden_and_change_and_can_stop_listening(
    browser: Any, setup: Setup
) -> None:
    context = browser.new_context(user_agent=DESKTOP_UA, locale="en-US")
    # Queued before the tag loads, as a tag manager would; they hear the banner appear.
    context.add_init_script(HOST_LISTENERS)
    page = context.new_page()
    page.goto(setup.host.url + "/")
    page.wait_for_function("() => log.includes('shown banner')")
    page.get_by_role("button", name="Customize").click()
    page.wait_for_function("() => log.includes('shown preferences')")
    page.keyboard.press("Escape")
    page.wait_for_function("() => log.includes('hidden preferences')")
    # One listener added and removed again is never called; another stays.
    page.evaluate(
        """() => { window.gone = c => log.push('removed'); HotConsent.on('change', gone);
        HotConsent.on('change', c => log.push('late ' + c.choices.analytics));
        HotConsent.off('change', gone); HotConsent.off('nothing', gone); }"""
    )
    decide_in_page(page, "Reject all")
    page.wait_for_function("() => log.includes('late false')")
    assert page.evaluate("() => log") == [
        "shown banner",
        "shown preferences",
        "hidden preferences",
        "hidden banner",
        "change false",
        "late false",
    ]
    # Reopened from the floating button: shown, then hidden on closing, no change.
    page.get_by_role("button", name="Cookie settings").click()
    page.locator("hot-consent .x").click()
    page.wait_for_function("() => log.length == 8")
    assert page.evaluate("() => log.slice(6)") == ["shown preferences", "hidden preferences"]
    context.close()


NEW_CATEGORY_TOML = """
[sites.hottelecom.categories.personalization.ru]
title = "Персонализация"
description = "Подбор тарифов под посетителя."

[sites.hottelecom.categories.personalization.en]
title = "Personalization"
description = "Tariffs picked for the visitor."
"""


def test_a_category_added_after_the_decision_is_asked_for(
    browser: Any, setup: Setup, tmp_path: Path
) -> None:
    context, page = _page(browser, setup)
    decide_in_page(page, "Accept all")
    storage = context.storage_state()
    context.close()
    # The operator adds a category to the sites file and reloads the workers.
    sites = tmp_path / "sites.toml"
    sites.write_text(sites.read_text(encoding="utf-8") + NEW_CATEGORY_TOML, encoding="utf-8")
    setup.app.extensions["gateway.sites"] = load_sites(str(sites), "http://localhost")
    setup.app.extensions.pop(BUNDLES_KEY, None)

    context, page = _page(browser, setup, storage)
    bar = page.locator("hot-consent .bar")
    bar.wait_for(state="visible")
    # What was granted stays granted while the visitor is asked about the new one.
    page.wait_for_function("() => window.ran.length == 3")
    page.get_by_role("button", name="Customize").click()
    boxes = {
        c: page.locator(f"hot-consent #hc-{c}").is_checked()
        for c in ("analytics", "marketing", "personalization")
    }
    assert boxes == {"analytics": True, "marketing": True, "personalization": False}
    decide_in_page(page, "Save choices")
    assert json.loads(records(setup.app)[-1].choices) == {
        "necessary": True,
        "analytics": True,
        "marketing": True,
        "personalization": False,
    }
    storage = context.storage_state()
    context.close()

    # Answered: the next page load does not ask again.
    context, page = _page(browser, setup, storage)
    page.wait_for_function("() => window.ran.length == 3")
    page.wait_for_timeout(300)
    assert not page.locator("hot-consent .bar").is_visible()
    assert page.get_by_role("button", name="Cookie settings").is_visible()
    context.close()


def test_second_layer_and_privacy_page_list_each_categorys_cookies(
    browser: Any, setup: Setup
) -> None:
    context, page = _page(browser, setup)
    page.get_by_role("button", name="Customize").click()
    rows = page.locator("hot-consent .modal li:has(> .row)")
    listed = {}
    for i in range(rows.count()):
        row = rows.nth(i)
        category = row.locator("input").get_attribute("data-c")
        if row.locator("details").count():
            row.locator("summary").click()
        listed[category] = [c.inner_text() for c in row.locator("ul.ck li").all()]
    assert listed == {
        "necessary": [],
        "analytics": ["_ga* Google Analytics, 2 years. Tells visitors apart."],
        "marketing": ["_gcl_au Google Ads, 90 days. Ad conversions."],
    }
    # The policy link names the site, whose cookie table the page shows.
    href = page.locator("hot-consent .modal a[href*='/privacy']").first.get_attribute("href")
    assert "site=hottelecom" in href
    assert "lang=en" in href
    policy = page.request.get(href).text()
    table = policy[policy.index('class="cookie-table"') :]
    assert "<code>_gcl_au</code>" in table
    assert "Ad conversions." in table
    assert table.index("<caption>Analytics") < table.index("<caption>Marketing")
    context.close()


GPC_ON = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"


def test_gpc_refuses_the_categories_marked_third_party_and_tells_a_returning_visitor(
    browser: Any, setup: Setup, tmp_path: Path
) -> None:
    # This site's analytics goes to its own gateway only: marketing alone is third-party.
    sites = tmp_path / "sites.toml"
    text = sites.read_text(encoding="utf-8")
    sites.write_text(
        text.replace(
            'languages = ["ru", "en"]\n',
            'languages = ["ru", "en"]\nthird_party = ["marketing"]\n',
            1,
        ),
        encoding="utf-8",
    )
    setup.app.extensions["gateway.sites"] = load_sites(str(sites), "http://localhost")
    setup.app.extensions.pop(BUNDLES_KEY, None)
    context, page = _page(browser, setup)
    decide_in_page(page, "Accept all")
    storage = context.storage_state()
    context.close()

    context = browser.new_context(
        user_agent=DESKTOP_UA,
        locale="en-US",
        storage_state=storage,
        extra_http_headers={"Sec-GPC": "1"},
    )
    context.add_init_script(GPC_ON)
    page = context.new_page()
    page.goto(setup.host.url + "/")
    note = page.locator("hot-consent .note")
    note.wait_for()
    assert "Global Privacy Control" in note.inner_text()
    assert page.evaluate("() => HotConsent.get().choices") == {
        "necessary": True,
        "analytics": True,
        "marketing": False,
    }
    assert json.loads(records(setup.app)[-1].choices) == {
        "necessary": True,
        "analytics": True,
        "marketing": False,
    }
    page.wait_for_function("() => window.ran.includes('inline')")
    assert "external" not in page.evaluate("() => window.ran")
    # In the preferences, only the third-party category is locked.
    page.evaluate("() => HotConsent.open()")
    assert page.locator("hot-consent #hc-marketing").is_disabled()
    assert page.locator("hot-consent #hc-analytics").is_enabled()
    page.keyboard.press("Escape")

    # Next page load: the refusal stands, and the visitor is told again until dismissed.
    page.reload()
    note.wait_for()
    assert "Global Privacy Control" in note.inner_text()
    note.get_by_role("button").click()
    page.reload()
    page.wait_for_function("() => window.HotConsent && HotConsent.get()")
    page.wait_for_timeout(300)
    assert note.is_hidden()
    context.close()
