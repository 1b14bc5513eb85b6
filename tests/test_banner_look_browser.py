"""The site's accent colour, layout and words from the sites file, in a real Chromium:
what the visitor sees, that the decision records the hash of exactly those words, and that
both layouts keep no layout shift and no serious axe finding."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response

from gateway.consent.texts import BANNER_TEXTS, text_hash
from gateway.sites import load_sites
from tests.conftest import DESKTOP_UA, TEST_SITES_TOML, AppFactory, LiveServer
from tests.consent_helpers import decide_in_page, records, screenshot, serious_findings

pytestmark = pytest.mark.browser

TITLE = "Мы бережём ваши данные"
ACCENT_RGB = "rgb(11, 92, 173)"  # #0b5cad

CLS_OBSERVER = """
window.__cls = 0;
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__cls += entry.value;
}).observe({type: 'layout-shift', buffered: true});
"""

HOST_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>Host page</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<script src="{gateway}/c/{site}.js"></script>
<script nonce="n0nce">window.dataLayer = window.dataLayer || [];
function gtag() {{ dataLayer.push(arguments); }}
gtag('js', new Date()); gtag('config', 'G-TEST000001');</script>
</head><body><main><h1>HotTelecom</h1><p>Тарифы и устройства. Tariffs and devices.</p>
<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.</p>
</main></body></html>"""

# The same site twice: as a box with the accent and a Russian title, and as the bar.
LOOK_TOML = """
[sites.boxed]
name = "HotTelecom"
origins = ["{host}"]
languages = ["ru", "en"]
accent = "#0b5cad"
layout = "box"

[sites.boxed.categories.marketing.ru]
title = "Маркетинг"
description = "Реклама услуг HotTelecom на других сайтах."

[sites.boxed.categories.marketing.en]
title = "Marketing"
description = "HotTelecom offers on other websites."

[sites.boxed.texts.ru]
title = "{title}"

[sites.barred]
name = "HotTelecom"
origins = ["{host}"]
languages = ["ru", "en"]
accent = "#0b5cad"
"""


@dataclass
class Setup:
    app: Flask
    gateway: LiveServer
    host: LiveServer
    sites_file: Path


@pytest.fixture
def setup(
    app_factory: AppFactory, live_server_factory: Callable[..., LiveServer], tmp_path: Path
) -> Setup:
    host_app = Flask("looked_host")
    host = live_server_factory(host_app, host="127.0.0.2")
    sites = tmp_path / "sites.toml"
    sites.write_text(
        TEST_SITES_TOML + LOOK_TOML.format(host=host.url, title=TITLE), encoding="utf-8"
    )
    app = app_factory(SITES_FILE=str(sites))
    gateway = live_server_factory(app)

    @host_app.get("/<site>/<lang>")
    def page(site: str, lang: str) -> Response:
        response = Response(HOST_PAGE.format(gateway=gateway.url, site=site, lang=lang))
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src 'nonce-n0nce' {gateway.url}; "
            f"style-src 'nonce-n0nce'; connect-src {gateway.url}"
        )
        return response

    return Setup(app, gateway, host, sites)


def _open(browser: Any, setup: Setup, path: str, **options: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(user_agent=DESKTOP_UA, **options)
    page = context.new_page()
    scripts: list[str] = []
    page.on("request", lambda r: "/c/" in r.url and scripts.append(r.url))
    page.on("pageerror", lambda exc: pytest.fail(f"page error: {exc}"))
    page.goto(setup.host.url + path)
    page.locator("hot-consent .bar").wait_for()
    page.wait_for_timeout(400)  # the fade-in ends
    return context, page, scripts


def test_accent_box_and_russian_title_are_shown_and_hashed(browser: Any, setup: Setup) -> None:
    # An English browser on a Russian page: the response in English hands over to the
    # Russian one (the page's language decides), pushing Consent Mode's default once.
    context, page, scripts = _open(
        browser, setup, "/boxed/ru", locale="en-US", viewport={"width": 1280, "height": 800}
    )
    assert [url.split("/c/")[1] for url in scripts] == ["boxed.js", "boxed.js?lang=ru"]
    order = page.evaluate(
        "() => dataLayer.filter(a => a[0] == 'consent' || a[0] == 'config')"
        ".map(a => a[0] + ' ' + a[1])"
    )
    # The default before gtag's config, once; the later update from the Russian response.
    assert order[:2] == ["consent default", "config G-TEST000001"]
    assert order.count("consent default") == 1
    bar = page.locator("hot-consent .bar")
    assert page.locator("hot-consent #hc-t").inner_text() == TITLE
    assert page.get_by_role("dialog", name=TITLE).is_visible()
    accept = page.get_by_role("button", name=BANNER_TEXTS["ru"]["accept"], exact=True)
    style = accept.evaluate("b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color]")
    assert style == [ACCENT_RGB, "rgb(255, 255, 255)"]
    # The box: in the bottom right corner, 24rem wide, its buttons one above the other.
    box = bar.bounding_box()
    assert round(box["width"]) == 384
    assert round(box["x"] + box["width"]) == 1280 - 16
    assert round(box["y"] + box["height"]) == 800 - 16
    buttons = page.locator("hot-consent .bar .b")
    xs = {round(buttons.nth(i).bounding_box()["x"]) for i in range(3)}
    assert len(xs) == 1
    screenshot(page, "box-1280")

    answer = decide_in_page(page, BANNER_TEXTS["ru"]["accept"])
    site = load_sites(str(setup.sites_file), setup.gateway.url)["boxed"]
    shown = text_hash(site, "ru", answer["policy_version"])
    (record,) = [r for r in records(setup.app) if r.consent_id == answer["consent_id"]]
    assert record.text_hash == shown
    assert record.language == "ru"
    # The hash of the words shown, not of the built-in title.
    plain = load_sites(str(setup.sites_file), setup.gateway.url)["barred"]
    assert shown != text_hash(plain, "ru", answer["policy_version"])
    context.close()


def test_box_on_a_phone_is_the_bar(browser: Any, setup: Setup) -> None:
    context, page, _ = _open(
        browser, setup, "/boxed/ru", locale="ru-RU", viewport={"width": 390, "height": 800}
    )
    box = page.locator("hot-consent .bar").bounding_box()
    assert (round(box["x"]), round(box["width"])) == (0, 390)
    assert round(box["y"] + box["height"]) == 800
    screenshot(page, "box-390")
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_bar_with_the_accent(browser: Any, setup: Setup, width: int) -> None:
    context, page, scripts = _open(
        browser, setup, "/barred/en", locale="en-US", viewport={"width": width, "height": 800}
    )
    assert len(scripts) == 1  # the browser's language is the page's: no hand-over
    assert page.locator("hot-consent #hc-t").inner_text() == BANNER_TEXTS["en"]["title"]
    button = page.get_by_role("button", name="Accept all")
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == ACCENT_RGB
    box = page.locator("hot-consent .bar").bounding_box()
    # The bar: centred.
    assert abs(box["x"] + box["width"] / 2 - width / 2) <= 1
    screenshot(page, f"bar-{width}")
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("site", ["boxed", "barred"])
def test_both_layouts_no_serious_axe_finding(
    browser: Any, setup: Setup, site: str, scheme: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context, page, _ = _open(
        browser, setup, f"/{site}/ru", locale="ru-RU", color_scheme=scheme, bypass_csp=True
    )
    assert serious_findings(axe.run(page)) == []
    page.get_by_role("button", name=BANNER_TEXTS["ru"]["customize"]).click()
    page.locator("hot-consent .back").wait_for()
    page.wait_for_timeout(300)
    assert serious_findings(axe.run(page)) == []
    if scheme == "dark":
        # Links keep a readable shade of the accent on the dark background.
        link = page.locator("hot-consent .modal a").first
        assert link.evaluate("a => getComputedStyle(a).color") == "rgb(84, 141, 198)"
    context.close()


@pytest.mark.parametrize("site", ["boxed", "barred"])
def test_both_layouts_no_layout_shift(browser: Any, setup: Setup, site: str) -> None:
    context = browser.new_context(user_agent=DESKTOP_UA, locale="en-US")
    context.add_init_script(CLS_OBSERVER)
    page = context.new_page()
    page.goto(f"{setup.host.url}/{site}/ru")  # with the hand-over to Russian
    page.locator("hot-consent .bar").wait_for()
    page.wait_for_timeout(500)
    page.get_by_role("button", name=BANNER_TEXTS["ru"]["customize"]).click()
    page.locator("hot-consent .back").wait_for()
    page.get_by_role("button", name=BANNER_TEXTS["ru"]["accept"]).last.click()
    page.locator("hot-consent .fab").wait_for()
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__cls") == 0
    page.reload()
    page.locator("hot-consent .fab").wait_for()
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__cls") == 0
    context.close()
