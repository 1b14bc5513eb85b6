"""Size of the one-tag banner response, beside vanilla-cookieconsent, Osano and Klaro.

Builds the response of GET /c/<site>.js for a site that uses everything the
banner enforces (three categories with marketing, three declared cookies, a
cookie domain, an accent colour, the box layout, overridden titles; the texts of one
language, as each response carries) exactly as the gateway serves it, and prints its
gzipped size in the usual case and in the largest one (re-consent after a
material change with an upcoming change announced), the share taken by code,
CSS and configuration, and how long the first build and a cached request take.

Baselines (gzipped, as published): Osano 3.1 8.1 kB (no prior blocking),
Klaro 0.7 68.9 kB. vanilla-cookieconsent v3 (cookieconsent.umd.js + cookieconsent.css,
gzipped) is 15.5 kB before any configuration or translations are added, and
has no tracker; the gateway's figure includes the texts and the tracker.

    .venv/bin/python benchmarks/banner_size.py
"""

from __future__ import annotations

import gzip
import json
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway import create_app
from gateway.consent import bundle
from gateway.policy.versions import PolicyState, VersionInfo, state
from gateway.sites import DEMO_SITES_TOML, parse_sites

BUDGET = 7168
VANILLA_COOKIECONSENT_GZIP = 15_500
OSANO_GZIP = 8_100
KLARO_GZIP = 68_900
# The demo site `make run` writes, with everything the banner enforces switched on.
SITES_TOML = (
    DEMO_SITES_TOML.replace(
        'query_allowlist = ["utm_source"',
        'cookie_domain = "hottelecom.example"\naccent = "#0b5cad"\nlayout = "box"\n'
        'query_allowlist = ["utm_source"',
    )
    + """
[[sites.hottelecom.cookies]]
category = "analytics"
name = "_ga*"
provider = "Google Analytics"
expires = "2 года / 2 years"
purpose = {ru = "Различает посетителей в статистике.", en = "Tells visitors apart in statistics."}

[[sites.hottelecom.cookies]]
category = "marketing"
name = "_gcl_au"
provider = "Google Ads"
expires = "90 дней / 90 days"
purpose = {ru = "Связывает рекламу с заказами.", en = "Links ads with orders."}

[[sites.hottelecom.cookies]]
category = "marketing"
name = "_fbp"
provider = "Meta"
expires = "90 дней / 90 days"
purpose = {ru = "Показ рекламы в соцсетях.", en = "Ads in social networks."}

[sites.hottelecom.texts.ru]
title = "Мы бережём ваши данные"
[sites.hottelecom.texts.en]
title = "We look after your data"
"""
)


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def largest_state(today: date) -> PolicyState:
    """The policy state with the most banner text: re-consent asked and a change announced."""
    return state(
        [
            VersionInfo(1, today - timedelta(days=400), True),
            VersionInfo(2, today - timedelta(days=90), True),
            VersionInfo(3, today - timedelta(days=9), False),
            VersionInfo(4, today + timedelta(days=20), True),
        ],
        today,
    )


def main() -> None:
    measured = parse_sites(SITES_TOML)["hottelecom"]
    # The budget is for the banner with everything it enforces; the measurement piece
    # (scroll, clicks, downloads, site search) is counted separately below.
    site = replace(measured, enhanced_measurement=())
    today = date.today()
    usual = state([VersionInfo(1, today - timedelta(days=90), True)], today)
    largest = largest_state(today)
    started = time.perf_counter()
    built = bundle.build(site, usual, 183, "ru")
    first_build_ms = (time.perf_counter() - started) * 1000
    english = bundle.build(site, usual, 183, "en")
    # The larger language (Russian: two bytes a letter) with the most texts.
    worst = max(
        (bundle.build(site, largest, 183, lang) for lang in site.languages),
        key=lambda b: gz(b.body),
    )

    js, css = bundle.minified_sources()
    config = json.dumps(bundle.script_config(site, usual, 183, "ru"), ensure_ascii=False).encode()

    print("GET /c/hottelecom.js  (banner + CSS + config + texts of one language + tracker;")
    print("  marketing category, 3 declared cookies, cookie domain, Consent Mode, blocking,")
    print("  accent colour, box layout, a title overridden per language)")
    print(f"  uncompressed (ru)       {len(built.body):6d} B")
    print(f"  gzip -9 (usual, ru)     {gz(built.body):6d} B")
    print(f"  gzip -9 (usual, en)     {gz(english.body):6d} B")
    print(f"  served gzip (usual, ru) {len(built.gzipped):6d} B   zopfli")
    print(f"  served gzip (largest)   {len(worst.gzipped):6d} B   re-consent + upcoming notice")
    print(f"  gzip -9 (largest)       {gz(worst.body):6d} B")
    print(f"  budget (gzip -9)        {BUDGET:6d} B   {gz(worst.body) / BUDGET:.0%} used")
    print(
        f"  vanilla-cookieconsent   {VANILLA_COOKIECONSENT_GZIP:6d} B   3.1, code + CSS, no texts"
    )
    print(f"  Osano                   {OSANO_GZIP:6d} B   3.1, no prior blocking")
    print(f"  Klaro                   {KLARO_GZIP:6d} B   0.7")
    print(
        f"  ratio                   {len(built.gzipped) / VANILLA_COOKIECONSENT_GZIP:.2f}x "
        f"the size of vanilla-cookieconsent"
    )
    full = bundle.build(measured, usual, 183, "ru")
    measure = bundle.minified_measurement()
    print("enhanced measurement (scroll, outbound clicks, downloads, site search), per site:")
    print(f"  served gzip without it  {len(built.gzipped):6d} B")
    print(
        f"  served gzip with it     {len(full.gzipped):6d} B   "
        f"(+{len(full.gzipped) - len(built.gzipped)} B)"
    )
    print(
        f"  the piece alone         {gz(measure.encode()):6d} B gzipped, {len(measure)} B minified"
    )
    print("parts, each gzipped alone:")
    print(f"  code (with tracker)     {gz(js.encode()):6d} B")
    print(f"  CSS                     {gz(css.encode()):6d} B")
    print(f"  accent + box CSS        {gz(bundle.look_css(site).encode()):6d} B")
    print(f"  configuration + texts   {gz(config):6d} B")
    print(f"first build (minify + zopfli): {first_build_ms:.0f} ms, once per site and policy state")

    with tempfile.TemporaryDirectory() as tmp:
        sites = Path(tmp) / "sites.toml"
        sites.write_text(SITES_TOML, encoding="utf-8")
        app = create_app(
            {
                "INSTANCE_PATH": tmp,
                "SECRET_KEYS": ["benchmark"],
                "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                "SITES_FILE": str(sites),
                "RATELIMIT_ENABLED": False,
            }
        )
        from gateway.dbcli import upgrade

        upgrade(app.extensions["gateway.db"])
        client = app.test_client()
        first = client.get("/c/hottelecom.js", headers={"Accept-Encoding": "gzip"})
        etag = first.headers["ETag"]
        for label, headers in (
            ("200 gzip", {"Accept-Encoding": "gzip"}),
            ("304 revalidation", {"Accept-Encoding": "gzip", "If-None-Match": etag}),
        ):
            runs = 500
            started = time.perf_counter()
            for _ in range(runs):
                client.get("/c/hottelecom.js", headers=headers)
            rate = runs / (time.perf_counter() - started)
            print(f"cached {label:<18} {rate:7.0f} requests/s (one thread, test client)")


if __name__ == "__main__":
    main()
